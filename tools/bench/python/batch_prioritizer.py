"""Python peer of batch-prioritizer: the same sweep (rules, aging, never lower) with boto3."""
import datetime
import json
import os
from concurrent.futures import ThreadPoolExecutor

from peer_common import client

s3control = client("s3control")
ACCOUNT = os.environ["MEDIAOPS_ACCOUNT_ID"]
RULES = json.loads(os.environ.get("PRIORITY_RULES", "[]"))
RUNNABLE = ["New", "Preparing", "Ready", "Active", "Pausing", "Paused", "Suspended"]


def target(job, now):
    base = 0
    for r in RULES:
        desc = job.get("Description", "")
        if "description_prefix" in r and not desc.startswith(r["description_prefix"]):
            continue
        if "operation" in r and job.get("Operation") != r["operation"]:
            continue
        base = r["priority"]
        break
    hours = int((now - job["CreationTime"]).total_seconds() // 3600)
    return max(job["Priority"], min(base + min(hours, 100), 2147483647))


def handler(event, context):
    jobs, token = [], None
    while True:
        kw = {"AccountId": ACCOUNT, "JobStatuses": RUNNABLE, "MaxResults": 1000}
        if token:
            kw["NextToken"] = token
        page = s3control.list_jobs(**kw)
        jobs += page.get("Jobs", [])
        token = page.get("NextToken")
        if not token:
            break
    now = datetime.datetime.now(datetime.timezone.utc)
    todo = [(j["JobId"], target(j, now)) for j in jobs if target(j, now) != j["Priority"]]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda t: s3control.update_job_priority(AccountId=ACCOUNT, JobId=t[0], Priority=t[1]), todo))
    return {"jobs_seen": len(jobs), "changed": len(todo)}
