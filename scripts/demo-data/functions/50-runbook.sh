# runbook (sourced by scripts/demo).
# An operator asks why vod-promo stopped: pipeline.status shows pipeline-guard's pause record
# (when, the counts, the threshold, the trigger job). Then they drain it: first without confirm
# (the plan, nothing changes), then confirmed (its 40 queued jobs are cancelled). Then the newest
# errors, the batch jobs awaiting confirmation, confirming one, and the access-logging picture.
# Then they start a restore of archived masters with batch.create: created Suspended (held for
# confirmation) with priority 50; the same request again returns the same job, not a second one.
# A mistyped request is refused.
scene "runbook: an operator asks why vod-promo stopped, drains it, then works the batch jobs and a mistyped request"
echo '{ "action": "pipeline.status", "pipeline_id": "2222222222222-promo1" }' >"$work/promo-status.json"
confirmed_drain="$work/pipeline-drain-confirmed.json"
sed 's/ }$/, "confirm": true }/' functions/runbook/requests/pipeline-drain.json >"$confirmed_drain"
echo '{ "action": "pipeline.drian", "pipeline_id": "2222222222222-promo1" }' >"$work/typo.json"
run runbook \
  "$work/promo-status.json" \
  functions/runbook/requests/pipeline-drain.json "$confirmed_drain" \
  functions/runbook/requests/jobs-list-errors.json \
  functions/runbook/requests/batch-confirm.json \
  functions/runbook/requests/logging-status.json \
  functions/runbook/requests/batch-create-restore.json \
  functions/runbook/requests/batch-create-restore.json \
  "$work/typo.json"
