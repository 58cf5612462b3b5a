"""boto3 (botocore's own MediaConvert model, validation and parsers) against the mediaops emulator.

Run by tests/integration/tests/mediaconvert_samples.rs with the .venv-botocore python (botocore
pinned to the release whose model the emulator follows) and the emulator's URL and the test data
directory. Creates every sample job of tests/integration/testdata/mediaconvert (botocore validates
each client-side against its model first), reads it back and compares the job member by member
with what was sent; the job-template sample needs its presets first; then what MediaConvert
refuses. Prints one line per check; exits non-zero on the first failure.
"""
import copy
import glob
import json
import os
import sys

import boto3
import botocore
from botocore.exceptions import ClientError, ParamValidationError

url, data = sys.argv[1], sys.argv[2]
ACCOUNT = "123456789012"


def client(region="us-east-1"):
    return boto3.client(
        "mediaconvert", endpoint_url=url, region_name=region,
        aws_access_key_id="test", aws_secret_access_key="test",
    )


c = client()


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
    if not ok:
        sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def error(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]
    return None, 200, ""


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def differences(sent, got, at=""):
    """Where `got` differs from `sent`: a missing member, another value or another type. botocore
    parses every `double` member into a float, so 48 sent comes back 48.0 here; that the wire
    keeps 48 a whole number is checked on the raw JSON by mediaconvert_samples.rs."""
    out = []
    if number(sent) and number(got):
        return [] if sent == got else [f"{at}: {sent!r} sent, {got!r} returned"]
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [f"{at}: a map expected, got {type(got).__name__}"]
        for k, v in sent.items():
            if k not in got:
                out.append(f"{at}/{k}: missing")
            else:
                out.extend(differences(v, got[k], f"{at}/{k}"))
    elif isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [f"{at}: {sent!r} sent, {got!r} returned"]
        for i, (a, b) in enumerate(zip(sent, got)):
            out.extend(differences(a, b, f"{at}/{i}"))
    elif type(sent) is not type(got) or sent != got:
        out.append(f"{at}: {sent!r} sent, {got!r} returned")
    return out


def job_matches(name, sent, job):
    """GetJob's Job against the CreateJob request: each member as sent (JobEngineVersion as
    JobEngineVersionRequested, the queue as its ARN), Tags never returned."""
    problems = []
    for k, v in sent.items():
        if k == "Tags":
            if "Tags" in job:
                problems.append("Tags returned")
            continue
        if k == "Queue":
            if not job["Queue"].endswith(":queues/" + v.rsplit("/", 1)[-1]):
                problems.append(f"Queue {job['Queue']} for {v}")
            continue
        got_key = "JobEngineVersionRequested" if k == "JobEngineVersion" else k
        if got_key not in job:
            problems.append(f"/{got_key}: missing")
        else:
            problems.extend(differences(v, job[got_key], "/" + got_key))
    check(f"{name}: GetJob returns every member as sent", not problems, "; ".join(problems[:10]))


check(f"botocore {botocore.__version__} knows Av1Settings.GopSizeUnits",
      "GopSizeUnits" in c.meta.service_model.shape_for("Av1Settings").members)

# Every standalone sample: created by boto3, read back member by member.
for path in sorted(glob.glob(os.path.join(data, "*.job.json"))):
    name = os.path.basename(path)
    sent = load(path)
    created = c.create_job(**copy.deepcopy(sent))["Job"]
    check(f"{name}: CreateJob is SUBMITTED", created["Status"] == "SUBMITTED", created.get("Status"))
    job = c.get_job(Id=created["Id"])["Job"]
    job_matches(name, sent, job)
    listed = [j for j in c.list_jobs(MaxResults=20)["Jobs"] if j["Id"] == created["Id"]]
    check(f"{name}: ListJobs returns the same job", len(listed) == 1 and listed[0]["Settings"] == job["Settings"])

# The job-template sample: its presets must exist before the template that names them.
mvod = os.path.join(data, "vod-mvod")
template = load(os.path.join(mvod, "template.json"))
template["Tags"] = {"SolutionId": "SO0021"}
code, status, message = error(c.create_job_template, **copy.deepcopy(template))
check("a template naming presets the account lacks is NotFoundException",
      (code, status) == ("NotFoundException", 404) and "_Ott_Hls_Ts_Avc_Aac_16x9_480x270p_0.4Mbps_qvbr" in message,
      (code, status, message))
for path in sorted(glob.glob(os.path.join(mvod, "presets", "*.json"))):
    preset = os.path.basename(path)[:-len(".json")]
    settings = load(path)
    c.create_preset(Name=preset, Category="VOD", Settings=copy.deepcopy(settings))
    got = c.get_preset(Name=preset)["Preset"]
    check(f"preset {preset}: GetPreset returns its settings",
          not differences(settings, got["Settings"]) and got["Type"] == "CUSTOM", differences(settings, got["Settings"])[:3])
c.create_job_template(**copy.deepcopy(template))
got = c.get_job_template(Name=template["Name"])["JobTemplate"]
check("GetJobTemplate returns the template's settings",
      not differences(template["Settings"], got["Settings"]) and got["Arn"].endswith(":jobTemplates/" + template["Name"]))
sent = load(os.path.join(mvod, "job.json"))
created = c.create_job(**copy.deepcopy(sent))["Job"]
job_matches("vod-mvod/job.json", sent, c.get_job(Id=created["Id"])["Job"])

# What MediaConvert refuses.
guide = load(os.path.join(data, "mcug-automated-abr.job.json"))
guide["Role"] = "ROLE ARN"  # as the user guide prints it
code, status, message = error(c.create_job, **guide)
check("the user guide's placeholder role is BadRequestException",
      (code, status) == ("BadRequestException", 400) and "/role" in message, (code, status, message))
base = {"Role": f"arn:aws:iam::{ACCOUNT}:role/MediaConvert_Default_Role", "Settings": {}}
for what, queue in [("another account", f"arn:aws:mediaconvert:us-east-1:210987654321:queues/Default"),
                    ("another region", f"arn:aws:mediaconvert:eu-west-1:{ACCOUNT}:queues/Default")]:
    code, status, message = error(c.create_job, Queue=queue, **base)
    check(f"a queue ARN of {what} is BadRequestException", (code, status) == ("BadRequestException", 400),
          (code, status, message))
code, status, _ = error(c.create_job, JobTemplate="no-such-template", **base)
check("a job template that does not exist is NotFoundException", (code, status) == ("NotFoundException", 404))
code, status, message = error(c.create_job, Priority=51, **base)
check("a priority above 50 (botocore checks no maximum) is refused by the service",
      (code, status) == ("BadRequestException", 400) and message == "/priority: Should be from -50 to 50", message)
try:
    c.create_job(Priority=-51, **base)
    check("botocore refuses a priority below its minimum client-side", False)
except ParamValidationError:
    check("botocore refuses a priority below its minimum client-side", True)

# The region is the request's: a client of eu-west-1 uses eu-west-1's ARNs.
eu = client("eu-west-1")
job = eu.create_job(Queue=f"arn:aws:mediaconvert:eu-west-1:{ACCOUNT}:queues/Default", **base)["Job"]
check("a client signing for eu-west-1 gets eu-west-1 ARNs",
      job["Arn"].startswith(f"arn:aws:mediaconvert:eu-west-1:{ACCOUNT}:jobs/"), job["Arn"])
code, _, _ = error(eu.create_job, Queue=f"arn:aws:mediaconvert:us-east-1:{ACCOUNT}:queues/Default", **base)
check("… and is refused us-east-1's queue", code == "BadRequestException")
print("boto3 mediaconvert: all checks passed")
