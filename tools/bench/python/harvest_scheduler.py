"""Python peer of harvest-scheduler: cut one clip per endpoint of a channel with boto3."""
import datetime

from peer_common import client

mediapackage = client("mediapackage")


def handler(event, context):
    scheduled = datetime.datetime.fromisoformat(event["scheduled_time"].replace("Z", "+00:00"))
    end = scheduled - datetime.timedelta(minutes=event.get("end_offset_minutes", 0))
    start = end - datetime.timedelta(minutes=event["window_minutes"])
    fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    endpoints, token = [], None
    while True:
        kw = {"ChannelId": event["channel_id"]}
        if token:
            kw["NextToken"] = token
        page = mediapackage.list_origin_endpoints(**kw)
        endpoints += page["OriginEndpoints"]
        token = page.get("NextToken")
        if not token:
            break
    results = []
    for e in endpoints:
        job_id = f"{event.get('id_prefix', 'clip')}-{e['Id']}-{start.strftime('%Y%m%dT%H%M%SZ')}-{event['window_minutes']}m"
        key = event["manifest_key_template"].replace("{endpoint_id}", e["Id"]).replace("{channel_id}", event["channel_id"])
        try:
            mediapackage.create_harvest_job(
                Id=job_id, OriginEndpointId=e["Id"], StartTime=fmt(start), EndTime=fmt(end),
                S3Destination={"BucketName": event["destination_bucket"], "ManifestKey": key, "RoleArn": event["role_arn"]},
            )
            results.append({"id": job_id, "outcome": "created"})
        except mediapackage.exceptions.UnprocessableEntityException:
            results.append({"id": job_id, "outcome": "already_existed"})
    return {"clips": results}
