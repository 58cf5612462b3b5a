# batch-prioritizer (sourced by scripts/demo).
# Rules: "urgent:" jobs get 1000, restores 500; everything ages +1 per hour waited (up to 100).
# The sweep raises the urgent re-tag and the 2019 restore, ages the older shards, and reports the
# DR copy that has waited a day for confirmation. Then a JobCreated event for a new urgent job.
scene "batch-prioritizer: rules \"urgent:\" jobs 1000, restores 500, +1 per hour waited; two sweeps, then a new urgent job arrives"
rules='[{"name": "urgent", "description_prefix": "urgent:", "priority": 1000}, {"name": "restore", "operation": "S3InitiateRestoreObject", "priority": 500}]'
run batch-prioritizer --env "PRIORITY_RULES=$rules" --env "NOTICE_TABLE=$GUARD_TABLE" \
  functions/batch-prioritizer/events/schedule.json \
  functions/batch-prioritizer/events/schedule.json
ctl seed "$DATA/batch-new-job.json" >/dev/null
run batch-prioritizer --env "PRIORITY_RULES=$rules" --env "NOTICE_TABLE=$GUARD_TABLE" functions/batch-prioritizer/events/job-created.json functions/batch-prioritizer/events/job-suspended.json
