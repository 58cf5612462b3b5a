# harvest-watch and harvest-scheduler (sourced by scripts/demo).
# Harvest windows must lie inside the endpoint's startover window (6 hours here), so the sample
# events' times are moved to the last hours before they are sent.
scene "harvest-watch, harvest-scheduler: a failed clip of match 42 (delivered twice), one from 10 h ago, a retry failing a third time (delivered twice), AWS's documented MediaPackage v2 failure (twice); the hourly v1 and v2 clip schedules, run twice"
start=$(date -u -d '-90 minutes' +%Y-%m-%dT%H:%M:00Z)
end=$(date -u -d '-30 minutes' +%Y-%m-%dT%H:%M:00Z)
now=$(date -u +%Y-%m-%dT%H:%M:00Z)
old_start=$(date -u -d '-10 hours' +%Y-%m-%dT%H:%M:00Z)
old_end=$(date -u -d '-9 hours' +%Y-%m-%dT%H:%M:00Z)
retime() { sed -e "s/2026-11-21T09:00:00Z/$1/" -e "s/2026-11-21T10:00:00Z/$2/" "$3"; }
retime "$start" "$end" functions/harvest-watch/events/harvest-failed.json >"$work/harvest-failed.json"
retime "$old_start" "$old_end" functions/harvest-watch/events/harvest-failed.json | sed 's/sports-hls-match-42/sports-hls-match-7/g' >"$work/harvest-aged-out.json"
retime "$start" "$end" functions/harvest-watch/events/harvest-failed.json | sed 's/sports-hls-match-42/sports-hls-match-42-r3/g' >"$work/harvest-exhausted.json"
sed "s/2026-11-21T11:00:00Z/$now/" functions/harvest-scheduler/events/schedule.json >"$work/harvest-schedule.json"
sed "s/2026-11-21T11:00:00Z/$now/" functions/harvest-scheduler/events/schedule-v2.json >"$work/harvest-schedule-v2.json"
# AWS's documented v2 FAILED event, its 3-minute window moved into the last hour and its accounts
# and region (the example's envelope and job ARN disagree) into the demo's: as documented it is
# another account's event, answered foreign and never acted on.
sed -e "s/2024-11-07T17:29:36Z/$(date -u -d '-33 minutes' +%Y-%m-%dT%H:%M:00Z)/" \
  -e "s/2024-11-07T17:32:36Z/$end/" -e 's/739874020183\|111122223333/123456789012/g' -e 's/us-west-2/us-east-1/g' \
  functions/harvest-watch/events/harvest-v2-documented.json >"$work/harvest-v2-failed.json"
# A failed clip of the match is retried once (the duplicate delivery creates nothing); a clip from
# ten hours ago has aged out of the startover window; a third failure of a retry gives up.
# The give-up is delivered twice: announced once.
run harvest-watch --env "NOTICE_TABLE=$GUARD_TABLE" "$work/harvest-failed.json" "$work/harvest-failed.json" \
  "$work/harvest-aged-out.json" "$work/harvest-exhausted.json" "$work/harvest-exhausted.json" \
  functions/harvest-watch/events/harvest-succeeded.json "$work/harvest-v2-failed.json" "$work/harvest-v2-failed.json"
# The hourly schedules clip the last hour of all three v1 sports endpoints and both v2 ones; run
# again, nothing new.
run harvest-scheduler "$work/harvest-schedule.json" "$work/harvest-schedule.json" \
  "$work/harvest-schedule-v2.json" "$work/harvest-schedule-v2.json"
