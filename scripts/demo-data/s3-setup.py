#!/usr/bin/env python3
"""Seeds the demo's S3 (moto's server at argv[1]) for access-log-enforcer's S3 kind, with boto3
(moto's own dependency, from .venv-moto). Account 123456789012, us-east-1:

  media-access-logs   the log target: the bucket policy AWS documents for logging.s3.amazonaws.com
  partner-drop-logs   a log target without that policy (ACLs off: bucket owner enforced)
  old-logs            where bob pointed vod-premium's logs by hand
  vod-premium         logging to old-logs/bob/ (a change by hand, against policy)
  vod-kids            just created, no logging (its CreateBucket event follows)
  archive-2019        tagged media:logging=required, no logging
  scratch-encode      logging (scratch buckets never log)
  partner-drop        no logging; its rule's target is partner-drop-logs
  finance-reports     no rule: left alone
"""
import json
import sys

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"
s3 = boto3.client(
    "s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="demo",
    aws_secret_access_key="demo", config=Config(s3={"addressing_style": "path"}),
)


def policy(target, sources):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{target}/*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{sources}"},
                      "StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})


for b in ["media-access-logs", "partner-drop-logs", "old-logs", "vod-premium", "vod-kids",
          "archive-2019", "scratch-encode", "partner-drop", "finance-reports"]:
    s3.create_bucket(Bucket=b)
for b in ["media-access-logs", "partner-drop-logs", "old-logs"]:
    s3.put_bucket_ownership_controls(
        Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
s3.put_bucket_policy(Bucket="media-access-logs", Policy=policy("media-access-logs", "*"))
s3.put_bucket_policy(Bucket="old-logs", Policy=policy("old-logs", "*"))
s3.put_bucket_tagging(Bucket="archive-2019", Tagging={"TagSet": [{"Key": "media:logging", "Value": "required"}]})
for b, target, prefix in [("vod-premium", "old-logs", "bob/"), ("scratch-encode", "media-access-logs", "scratch/")]:
    s3.put_bucket_logging(Bucket=b, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix}})
print(f"S3 (moto): {len(s3.list_buckets()['Buckets'])} buckets")
