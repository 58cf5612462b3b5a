# queue-guard (sourced by scripts/demo).
# vod-premium, a MediaConvert queue, holds 24 jobs submitted an hour ago. Its job role stops
# trusting MediaConvert, and jobs fail one after another with 1432, one EventBridge event each.
# The 5th error reaches the threshold: one claim wins and the queue is PAUSED (GetQueue,
# UpdateQueue); the 6th is answered already_paused without any MediaConvert call. live-news gets
# two settings errors (1040, job-class): recorded, left alone. Then the role is fixed and an
# operator closes the loop with mediaops: `mediaops queue recover` shows the plan (the 6 failed jobs of
# the guard's burst), then, confirmed, resubmits each once (GetJob, CreateJob with the job's own
# settings, role and metadata plus mediaops:resubmit-of, recorded in the guard table), and
# queue.resume lets the queue run again.
scene "queue-guard: MediaConvert queue vod-premium's jobs fail with 1432 (job role not trusted); live-news gets 2 settings errors (1040); the role is fixed: recover, then resume"
python3 - "$work" <<'PY'
import json, sys, datetime
work = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def event(queue, job, code, seconds_ago):
    at = now - datetime.timedelta(seconds=seconds_ago)
    ms = int(at.timestamp() * 1000)
    return {
        "version": "0", "id": f"demo-{job}", "detail-type": "MediaConvert Job State Change",
        "source": "aws.mediaconvert", "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "us-east-1",
        "resources": [f"arn:aws:mediaconvert:us-east-1:123456789012:jobs/{job}"],
        "detail": {
            "timestamp": ms, "accountId": "123456789012",
            "queue": f"arn:aws:mediaconvert:us-east-1:123456789012:queues/{queue}",
            "jobId": job, "status": "ERROR", "errorCode": code,
            "errorMessage": "Unable to assume the job role: it does not trust mediaconvert.amazonaws.com." if code == 1432 else "The output settings are not supported.",
            "userMetadata": {},
        },
    }
for i in range(1, 7):
    json.dump(event("vod-premium", f"17954000000{i:02d}-role{i:02d}", 1432, 5 * (7 - i)), open(f"{work}/mc-role-{i}.json", "w"), indent=2)
for i in range(1, 3):
    json.dump(event("live-news", f"17954000001{i:02d}-sett{i:02d}", 1040, 3 * i), open(f"{work}/mc-settings-{i}.json", "w"), indent=2)
PY
run queue-guard \
  "$work"/mc-role-{1,2,3,4,5,6}.json \
  "$work"/mc-settings-{1,2}.json
# The operator follows the notice's next steps with `mediaops`.
ops queue recover vod-premium
ops queue recover vod-premium --confirm
ops queue resume vod-premium
ops_told
