"""Python peer of harvest-watch: retry a FAILED harvest with boto3."""
import datetime
import re

from peer_common import client

mediapackage = client("mediapackage")


def handler(event, context):
    job = event["detail"]["harvest_job"]
    if job.get("status") != "FAILED":
        return {"ignored": job.get("status")}
    m = re.match(r"^(.*)-r([1-9][0-9]{0,2})$", job["id"])
    base, attempt = (m.group(1), int(m.group(2))) if m else (job["id"], 0)
    if attempt >= 3:
        return {"outcome": "exhausted"}
    endpoint = mediapackage.describe_origin_endpoint(Id=job["origin_endpoint_id"])
    start = datetime.datetime.fromisoformat(job["start_time"].replace("Z", "+00:00"))
    earliest = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=endpoint.get("StartoverWindowSeconds", 0))
    if start < earliest:
        return {"outcome": "aged_out"}
    new_id = f"{base}-r{attempt + 1}"
    dest = job["s3_destination"]
    try:
        mediapackage.create_harvest_job(
            Id=new_id, OriginEndpointId=job["origin_endpoint_id"], StartTime=job["start_time"], EndTime=job["end_time"],
            S3Destination={"BucketName": dest["bucket_name"], "ManifestKey": dest["manifest_key"], "RoleArn": dest["role_arn"]},
        )
        return {"outcome": "created", "id": new_id}
    except mediapackage.exceptions.UnprocessableEntityException:
        mediapackage.describe_harvest_job(Id=new_id)
        return {"outcome": "already_exists", "id": new_id}
