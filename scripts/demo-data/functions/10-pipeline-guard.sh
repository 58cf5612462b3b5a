# pipeline-guard (sourced by scripts/demo).
# vod-promo's IAM role broke: four jobs failed with 2000 in the last minutes. A fifth ERROR
# notification reaches the threshold (5 pipeline-class errors in 10 minutes) and the pipeline is
# paused. vod-main has a burst of bad uploads (4000, job-class): its notification leaves it alone.
# A COMPLETED notification and an SNS console test message are ignored and skipped.
run pipeline-guard \
  functions/pipeline-guard/events/sns-error.json \
  functions/pipeline-guard/events/sns-error.json \
  functions/pipeline-guard/events/sns-error-bad-input.json \
  functions/pipeline-guard/events/sns-completed.json \
  functions/pipeline-guard/events/sns-test-message.json
