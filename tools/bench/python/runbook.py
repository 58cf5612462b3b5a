"""Python peer of runbook: the same three boto3 clients; answers logging.status."""
from peer_common import client

mediastore = client("mediastore")
s3control = client("s3control")
mediapackage = client("mediapackage")


def handler(event, context):
    if event.get("action") != "logging.status":
        raise ValueError("this peer answers logging.status only")
    containers, token = [], None
    while True:
        kw = {"MaxResults": 100}
        if token:
            kw["NextToken"] = token
        page = mediastore.list_containers(**kw)
        containers += page["Containers"]
        token = page.get("NextToken")
        if not token:
            break
    on = sum(1 for c in containers if c.get("AccessLoggingEnabled"))
    return {"containers": len(containers), "logging_on": on}
