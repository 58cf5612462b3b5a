"""boto3 (botocore's own mediapackagev2 model and parsers) against the mediaops emulator.

Run by tests/integration/tests/mediapackagev2.rs with the venv's python and the emulator's URL.
Builds a world (channel group, channel, origin endpoint), harvests, pages, cancels, and checks each
validation error by its code and typed reason. Prints one line per check; exits non-zero on a failure.
"""
import sys
import time
from datetime import datetime, timedelta, timezone

import boto3
from botocore.exceptions import ClientError

url = sys.argv[1]
c = boto3.client(
    "mediapackagev2", endpoint_url=url, region_name="us-east-1",
    aws_access_key_id="test", aws_secret_access_key="test",
)
now = datetime.now(timezone.utc)


def ago(minutes):
    return now - timedelta(minutes=minutes)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
    if not ok:
        sys.exit(1)


def error(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response["Error"]
        body = e.response
        reason = (body.get("ValidationExceptionType") or body.get("ConflictExceptionType")
                  or body.get("ResourceTypeNotFound") or "")
        return err["Code"], reason, e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, None, 200


c.create_channel_group(ChannelGroupName="live", Description="boto3")
c.create_channel(ChannelGroupName="live", ChannelName="sports")
ep = c.create_origin_endpoint(
    ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls",
    ContainerType="TS", StartoverWindowSeconds=7200,
    HlsManifests=[{"ManifestName": "index"}], DashManifests=[{"ManifestName": "dash"}],
    LowLatencyHlsManifests=[{"ManifestName": "low"}],
)
check("CreateOriginEndpoint returns the startover window", ep["StartoverWindowSeconds"] == 7200)
check("GetChannelGroup parses CreatedAt as a datetime",
      isinstance(c.get_channel_group(ChannelGroupName="live")["CreatedAt"], datetime))
got = c.get_origin_endpoint(ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls")
check("GetOriginEndpoint lists the three manifest kinds",
      [m["ManifestName"] for m in got["HlsManifests"]] == ["index"] and got["DashManifests"][0]["Url"].endswith(".mpd"))
check("ListOriginEndpoints", [e["OriginEndpointName"] for e in
      c.list_origin_endpoints(ChannelGroupName="live", ChannelName="sports")["Items"]] == ["hls"])


def harvest(name, start, end, manifests=None, token=None):
    kw = dict(
        ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls", HarvestJobName=name,
        HarvestedManifests=manifests or {"HlsManifests": [{"ManifestName": "index"}]},
        ScheduleConfiguration={"StartTime": start, "EndTime": end},
        Destination={"S3Destination": {"BucketName": "vod-clips", "DestinationPath": f"clips/{name}/"}},
    )
    if token:
        kw["ClientToken"] = token
    return kw


job = c.create_harvest_job(**harvest("clip", ago(30), ago(10), token="boto3-token"))
check("CreateHarvestJob is QUEUED with the schedule", job["Status"] == "QUEUED"
      and abs((job["ScheduleConfiguration"]["StartTime"] - ago(30)).total_seconds()) < 1, job)
again = c.create_harvest_job(**harvest("clip", ago(30), ago(10), token="boto3-token"))
check("the same client token returns the original job", again["ETag"] == job["ETag"])
check("the token with other parameters is IDEMPOTENT_PARAMETER_MISMATCH",
      error(c.create_harvest_job, **harvest("other", ago(30), ago(10), token="boto3-token"))[:2]
      == ("ConflictException", "IDEMPOTENT_PARAMETER_MISMATCH"))
check("a name used in the channel is 409 RESOURCE_ALREADY_EXISTS",
      error(c.create_harvest_job, **harvest("clip", ago(30), ago(10)))
      == ("ConflictException", "RESOURCE_ALREADY_EXISTS", 409))
for name, kw, want in [
    ("end before start", harvest("v1", ago(10), ago(30)), "END_TIME_EARLIER_THAN_START_TIME"),
    ("more than 24 hours", harvest("v2", ago(60 * 25), ago(1)), "INVALID_HARVEST_JOB_DURATION"),
    ("start in the future", harvest("v3", now + timedelta(minutes=5), now + timedelta(minutes=9)), "MEMBER_INVALID"),
    ("outside the startover window", harvest("v4", ago(200), ago(150)), "MEMBER_INVALID"),
    ("a manifest not on the endpoint", harvest("v5", ago(30), ago(10), {"DashManifests": [{"ManifestName": "index"}]}),
     "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT"),
]:
    check(f"validation: {name}", error(c.create_harvest_job, **kw) == ("ValidationException", want, 400),
          error(c.create_harvest_job, **kw))
for i in range(9):
    c.create_harvest_job(**harvest(f"q{i}", ago(30), ago(10)))
check("the 11th active job of the group is TOO_MANY_IN_PROGRESS_HARVEST_JOBS",
      error(c.create_harvest_job, **harvest("q9", ago(30), ago(10)))[:2]
      == ("ValidationException", "TOO_MANY_IN_PROGRESS_HARVEST_JOBS"))
pages = list(c.get_paginator("list_harvest_jobs").paginate(ChannelGroupName="live", PaginationConfig={"PageSize": 4}))
check("ListHarvestJobs pages of 4 through botocore's paginator",
      [len(p["Items"]) for p in pages] == [4, 4, 2], [len(p["Items"]) for p in pages])
check("includeStatus filters", len(c.list_harvest_jobs(ChannelGroupName="live", Status="COMPLETED")["Items"]) == 0)
check("maxResults above 100 is refused",
      error(c.list_harvest_jobs, ChannelGroupName="live", MaxResults=101)[0] == "ValidationException")
etag = c.get_harvest_job(ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls",
                         HarvestJobName="clip")["ETag"]
c.cancel_harvest_job(ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls",
                     HarvestJobName="clip", ETag=etag)
check("CancelHarvestJob with the ETag cancels",
      c.get_harvest_job(ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls",
                        HarvestJobName="clip")["Status"] == "CANCELLED")
check("a finished job is HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION",
      error(c.cancel_harvest_job, ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls",
            HarvestJobName="clip")[:2] == ("ValidationException", "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION"))
check("an unknown job is ResourceNotFoundException HARVEST_JOB",
      error(c.get_harvest_job, ChannelGroupName="live", ChannelName="sports", OriginEndpointName="hls",
            HarvestJobName="none") == ("ResourceNotFoundException", "HARVEST_JOB", 404))
print("boto3 mediapackagev2: all checks passed")
