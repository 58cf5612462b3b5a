"""Python peer of access-log-enforcer: the same sweep with boto3."""
import fnmatch
import os

from peer_common import client

mediastore = client("mediastore")
RULES = [r.split(":", 1) for r in os.environ.get("ENFORCER_RULES", "").split(",") if r.strip()]


def desired(name):
    for kind, pattern in RULES:
        if fnmatch.fnmatchcase(name, pattern):
            return kind == "include"
    return True


def handler(event, context):
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
    changed = []
    for c in containers:
        want = desired(c["Name"])
        if c["Status"] == "ACTIVE" and c.get("AccessLoggingEnabled", False) != want:
            if want:
                mediastore.start_access_logging(ContainerName=c["Name"])
            else:
                mediastore.stop_access_logging(ContainerName=c["Name"])
            changed.append(c["Name"])
    return {"checked": len(containers), "changed": changed}
