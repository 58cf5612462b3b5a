# access-log-enforcer (sourced by scripts/demo).
# MediaStore: scratch containers never log, everything else logs. The sweep finds vod-premium and
# partner-drop without logging and scratch-encode with it, and fixes them; vod-kids is still
# CREATING, so a second sweep changes nothing. When vod-kids turns ACTIVE, its CREATE event fixes
# it at once.
# S3 (moto), where MediaStore's users went, by the same enforcer: scratch and log buckets never
# log, tagged media:logging=required and vod-* buckets log to media-access-logs, partner-* to
# partner-drop-logs, which lacks the log-delivery policy. Bob's hand change of vod-premium's
# logging (its CloudTrail event, delivered twice) is put back once; vod-kids's CreateBucket event
# fixes it at once; two sweeps do the rest and tell the bad target once.
scene "access-log-enforcer: MediaStore (scratch-* never log, all others do; two sweeps, then vod-kids turns ACTIVE) and S3 by the same rules (a hand change, a new bucket, two sweeps)"
run access-log-enforcer --env ENFORCER_RULES='exclude:scratch-*' --env ENFORCER_CREATING_WAIT_MS=0 \
  functions/access-log-enforcer/events/schedule.json \
  functions/access-log-enforcer/events/schedule.json
ctl status '{"kind": "container", "id": "vod-kids", "status": "ACTIVE"}' | detail
run access-log-enforcer --env ENFORCER_RULES='exclude:scratch-*' \
  functions/access-log-enforcer/events/container-created.json \
  functions/access-log-enforcer/events/container-removed.json
"$MOTO_PY" "$DATA/s3-setup.py" "$MOTO_URL" | detail
run access-log-enforcer --env "AWS_ENDPOINT_URL_S3=$MOTO_URL" --env "NOTICE_TABLE=$GUARD_TABLE" \
  --env ENFORCER_S3_RULES='[{"match": "scratch-*", "logging": "off"}, {"match": "*-logs", "logging": "off"},
    {"tags": {"media:logging": "required"}, "target": "media-access-logs", "prefix": "s3-access/{bucket}/"},
    {"match": "vod-*", "target": "media-access-logs", "prefix": "vod/{bucket}/"}, {"match": "partner-*", "target": "partner-drop-logs"}]' \
  functions/access-log-enforcer/events/bucket-logging-changed.json \
  functions/access-log-enforcer/events/bucket-logging-changed.json \
  functions/access-log-enforcer/events/bucket-created.json \
  functions/access-log-enforcer/events/schedule-s3.json \
  functions/access-log-enforcer/events/schedule-s3.json
