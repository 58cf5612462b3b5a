# access-log-enforcer (sourced by scripts/demo).
# Policy: scratch containers never log, everything else logs. The sweep finds vod-premium and
# partner-drop without logging and scratch-encode with it, and fixes them; vod-kids is still
# CREATING, so a second sweep changes nothing. When vod-kids turns ACTIVE, its CREATE event fixes
# it at once.
scene "access-log-enforcer: policy says scratch-* containers never log, all others do; two sweeps, then vod-kids turns ACTIVE"
run access-log-enforcer --env ENFORCER_RULES='exclude:scratch-*' --env ENFORCER_CREATING_WAIT_MS=0 \
  functions/access-log-enforcer/events/schedule.json \
  functions/access-log-enforcer/events/schedule.json
ctl status '{"kind": "container", "id": "vod-kids", "status": "ACTIVE"}' | detail
run access-log-enforcer --env ENFORCER_RULES='exclude:scratch-*' \
  functions/access-log-enforcer/events/container-created.json \
  functions/access-log-enforcer/events/container-removed.json
