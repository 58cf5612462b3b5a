"""Creates MediaConvert jobs through boto3 (botocore's own model, validation and serializer)
against the mediaops emulator, for tests/integration/tests/recover_lossless.rs.

Usage: python boto3_create_jobs.py URL OVERRIDES FILE...
Each FILE is a CreateJob request in boto3's member names (a sample of
tests/integration/testdata/mediaconvert); the members of OVERRIDES (a JSON object, e.g.
{"Queue": "vod-archive"}) replace its own, and it is sent as it is otherwise. Prints one JSON
object: file → the new job's id.
"""
import json
import sys

import boto3

url, overrides, files = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
client = boto3.client(
    "mediaconvert", endpoint_url=url, region_name="us-east-1",
    aws_access_key_id="test", aws_secret_access_key="test",
)
ids = {}
for path in files:
    with open(path, encoding="utf-8") as f:
        request = json.load(f)
    request.update(overrides)
    ids[path] = client.create_job(**request)["Job"]["Id"]
print(json.dumps(ids))
