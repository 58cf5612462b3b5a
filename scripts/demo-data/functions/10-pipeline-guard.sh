# pipeline-guard (sourced by scripts/demo).
# vod-promo holds a backlog queued an hour ago. Its IAM role breaks and the queued jobs fail one
# after another (2000), one ERROR notification each, timestamped now. The guard records each in
# the window table at its SNS time; the 5th reaches the threshold (5 pipeline-class errors in 10
# minutes), one claim wins and the pipeline is paused; the 6th and 7th are answered
# already_paused without any Elastic Transcoder call. vod-main has a burst of bad uploads (4000,
# job-class): recorded, left alone. A COMPLETED notification and an SNS console test message are
# ignored and skipped. `runbook pipeline.status` (below) tells why vod-promo was paused.
scene "pipeline-guard: vod-promo's queued backlog fails job after job (IAM role broken, error 2000); vod-main gets a bad upload (4000)"
python3 - "$work" <<'PY'
import json, sys, datetime
work = sys.argv[1]
template = json.load(open("functions/pipeline-guard/events/sns-error.json"))
now = datetime.datetime.now(datetime.timezone.utc)
for i in range(1, 8):
    event = json.loads(json.dumps(template))
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    job = f"170000000{i:04d}-bk{i:04d}"
    message["jobId"] = job
    sns["Message"] = json.dumps(message, indent=2)
    sns["MessageId"] = f"demo-burst-{i}"
    sns["Subject"] = f"Amazon Elastic Transcoder has encountered an error while transcoding job {job}"
    at = now - datetime.timedelta(seconds=5 * (8 - i))
    sns["Timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    json.dump(event, open(f"{work}/guard-burst-{i}.json", "w"), indent=2)
# The sample events carry a fixed time: sent as they are they would be answered stale (older
# than the window + 60 min). Timestamped now, like the burst.
for name in ("sns-error-bad-input", "sns-completed", "sns-test-message"):
    event = json.load(open(f"functions/pipeline-guard/events/{name}.json"))
    event["Records"][0]["Sns"]["Timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    json.dump(event, open(f"{work}/{name}.json", "w"), indent=2)
PY
run pipeline-guard \
  "$work"/guard-burst-{1,2,3,4,5,6,7}.json \
  "$work"/sns-error-bad-input.json "$work"/sns-completed.json "$work"/sns-test-message.json
