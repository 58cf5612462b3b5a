# runbook (sourced by scripts/demo).
# An operator drains vod-promo: first without confirm (the plan, nothing changes), then confirmed
# (its 6 queued jobs are cancelled). Then the newest errors, the batch jobs awaiting
# confirmation, confirming one, and the access-logging picture. A mistyped request is refused.
confirmed_drain="$work/pipeline-drain-confirmed.json"
sed 's/ }$/, "confirm": true }/' functions/runbook/requests/pipeline-drain.json >"$confirmed_drain"
echo '{ "action": "pipeline.drian", "pipeline_id": "2222222222222-promo1" }' >"$work/typo.json"
run runbook \
  functions/runbook/requests/pipeline-drain.json "$confirmed_drain" \
  functions/runbook/requests/jobs-list-errors.json \
  functions/runbook/requests/batch-confirm.json \
  functions/runbook/requests/logging-status.json \
  "$work/typo.json"
