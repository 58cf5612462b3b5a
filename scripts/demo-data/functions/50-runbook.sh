# runbook (sourced by scripts/demo), as operators use it: `mediaops` commands against the
# runbook's binary behind a local Lambda Invoke API.
# An operator asks why vod-promo stopped: `mediaops pipeline status` shows pipeline-guard's pause
# record (when, the counts, the threshold, the trigger job). Then they drain it: first without
# --confirm (the plan, nothing changes, no prompt without a terminal), then confirmed (its 40
# queued jobs are cancelled). Then the newest errors, confirming a batch job awaiting
# confirmation, and the access-logging picture. Then they start a restore of archived masters
# with `mediaops batch create`: created Suspended (held for confirmation) with priority 50; the
# same request again returns the same job, not a second one. A pipeline named by its name instead
# of its id is refused, the field named.
scene "runbook (mediaops commands): an operator asks why vod-promo stopped, drains it, then works the batch jobs; a pipeline given by name is refused"
ops pipeline status 2222222222222-promo1
ops pipeline drain 2222222222222-promo1
ops pipeline drain 2222222222222-promo1 --confirm
ops jobs list --status Error --order newest --limit 5
ops batch confirm 4e3b1f2a-0003-4a00-a000-000000000003
ops logging status
ops batch create --json @functions/runbook/requests/batch-create-restore.json
ops batch create --json @functions/runbook/requests/batch-create-restore.json
ops pipeline status vod-promo
ops_told
