#!/usr/bin/env python3
"""Turns what the demo's function binaries really returned into a short story.

`scripts/demo` runs every function under the Runtime API stub with `mediaops-invoke --record`
(the runbook behind its Invoke API, `--serve`, driven by `mediaops` commands), which appends one
JSON line per invocation (function, event, response or error, start and end
time). After each step the demo dumps the emulator's call log; this script then prints, from those
two records alone, one or two plain lines per decision (consecutive alike decisions folded into
one line), and at the end a table of every step (function | events | outcome | AWS calls, the
calls taken from the emulator's call log) and the emulator state before → after as a diff.

  story.py step  WORK FUNCTION CALLS.json   lines for the invocations recorded since the last step
  story.py table WORK CALLS.json             the closing table, checked against the whole call log
  story.py diff  BEFORE.json AFTER.json     what changed in the emulator
  story.py messages MESSAGES.json [--all]  what the notification topic received
Nothing here is canned: a line that cannot be derived from a response says so.
"""

import json
import os
import sys
from collections import Counter, OrderedDict

SERVICE_NAMES = {"pipeline": "Elastic Transcoder", "queue": "MediaConvert"}


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load_state(work):
    path = os.path.join(work, "story-state.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"records_seen": 0, "last_seq": 0, "steps": []}


def save_state(work, state):
    with open(os.path.join(work, "story-state.json"), "w") as f:
        json.dump(state, f)


def names(work):
    """Resource ids → readable names, from the emulator state before the run."""
    out = {}
    for path in (os.path.join(work, "before.json"), os.path.join(work, "now.json")):
        if os.path.exists(path):
            with open(path) as f:
                add_names(out, json.load(f))
    return out


def add_names(out, state):
    for p in state.get("transcoder", {}).get("pipelines", []):
        out[p.get("id")] = p.get("name")
    for j in state.get("s3control", {}).get("jobs", []):
        if j.get("description"):
            out[j.get("id")] = f'"{j["description"]}"'
    return out


def plural(n, word, many=None):
    return f"{n} {word if n == 1 else (many or word + 's')}"


def ops(calls):
    """`ReadPipeline, UpdatePipelineStatus` or `CancelJob ×40, ListJobsByStatus`."""
    counts = Counter(c["operation"] for c in calls)
    return ", ".join(op if n == 1 else f"{op} ×{n}" for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def calls_phrase(calls):
    if not calls:
        return "no AWS call"
    return f"{plural(len(calls), 'AWS call')} ({ops(calls)})"


# ---- one (key, line) per decision; consecutive equal keys are folded --------------------------


def guard_items(record, names):
    response = record.get("response") or {}
    # pipeline-guard answers {"records": [...]}, queue-guard one record.
    records = response.get("records") if "records" in response else [response]
    for r in records:
        d = r.get("decision")
        if d is None:
            what = r.get("state") or r.get("detail_type") or "SNS message"
            reason = r.get("reason")
            yield (f"{r.get('outcome')}:{what}", {"line": f"{what}: {r.get('outcome')}" + (f" ({reason})" if reason else "")})
            continue
        kind = d.get("resource_kind", "pipeline")
        rid = d.get("resource_id")
        name = names.get(rid, rid)
        action = d.get("action")
        service = SERVICE_NAMES.get(kind, kind)
        code = d.get("trigger_error_code")
        cls = d.get("trigger_error_class")
        if cls == "pipeline":
            cls = kind  # the class of errors that stop the resource: pipeline- or queue-class
        if action == "pause":
            p = d.get("pause") or {}
            line = (
                f"PAUSED {kind} {name} ({service}): {p.get('reason', d.get('reason'))}; "
                f"trigger job {d.get('trigger_job_id')}; {{calls}}, {plural(d.get('store_calls', 0), 'window-table call')}"
            )
            yield (f"pause:{rid}:{record['_i']}", {"line": line, "record": record})
        elif action == "already_paused":
            yield (f"already:{rid}", {"line": f"{name} already paused by the guard: no {service} call", "record": record})
        elif action in ("no_action", "would_pause") or action is None:
            if cls == "job" or not d.get("counted"):
                key = f"noop:{rid}:{code}:{d.get('reason')}"
                yield (key, {"line": f"{name} error {code} ({cls}-class): {d.get('reason')}", "record": record})
            else:
                yield (
                    f"count:{rid}:{code}",
                    {
                        "fmt": "count",
                        "name": name,
                        "code": code,
                        "cls": cls,
                        "weighted": d.get("weighted_errors"),
                        "threshold": d.get("threshold"),
                        "window": d.get("window_minutes"),
                        "action": action,
                        "record": record,
                    },
                )
        else:
            yield (f"{action}:{rid}", {"line": f"{name}: {action}: {d.get('reason')}", "record": record})


def fold(key, items):
    first = items[0]
    n = len(items)
    if first.get("fmt") == "count":
        lo, hi = items[0]["weighted"], items[-1]["weighted"]
        span = f"{lo:g}" if n == 1 else f"{lo:g}…{hi:g}"
        verdict = "would pause (dry run)" if first["action"] == "would_pause" else "below the threshold, no action"
        return (
            f"{plural(n, 'error')} on {first['name']} (code {first['code']}, {first['cls']}-class) recorded: "
            f"{span} of {first['threshold']:g} weighted errors in {first['window']} min, {verdict}"
        )
    line = first["line"]
    if n == 1:
        return line
    if all(i.get("again") for i in items[1:]):
        return f"{line}; {items[-1]['again']}"
    if any(i.get("announced") == "already_announced" for i in items):
        return f"{n}× {line}; announced once"
    return f"{n}× {line}"


# The enforcer's last line's key: a repeat that changes nothing (a sweep run again, an event
# delivered again) and an ignored event fold into it.
ENFORCER = {"key": None, "what": None}


def enforcer_items(record, names):
    response = record.get("response") or {}
    trig = response.get("trigger") or {}
    run = response.get("run")
    if run is None:
        text = f"{trig.get('operation')} of {trig.get('name')}: {trig.get('kind')}"
        if ENFORCER["key"]:
            yield (ENFORCER["key"], {"line": text, "again": text})
        else:
            yield ("x", {"line": text})
        return
    if run.get("kind") == "bucket":
        yield from bucket_items(record, trig, run)
        return
    by = OrderedDict()
    for c in run.get("containers", []):
        by.setdefault(c.get("outcome"), []).append(c.get("name"))
    parts = []
    for outcome, label in (("started", "started logging on"), ("stopped", "stopped logging on"), ("not_ready", "left for later (not ACTIVE yet)"), ("failed", "FAILED on")):
        if by.get(outcome):
            parts.append(f"{label} {', '.join(by[outcome])}")
    what = "sweep" if trig.get("kind") == "sweep" else f"{trig.get('operation')} event for {trig.get('name')}"
    found, fixed = run.get("drift_found", 0), run.get("drift_fixed", 0)
    head = f"{what}: {plural(run.get('checked', 0), 'container')} checked, drift on {found}, fixed {fixed}"
    if run.get("dry_run"):
        head += " [dry run]"
    extra = [f"{len(by.get('in_sync', []))} in sync"] if by.get("in_sync") else []
    yield enforcer_line(record, what, head + ("; " + "; ".join(parts + extra) if parts or extra else ""), fixed, "run again: nothing changed")


def enforcer_line(record, what, line, fixed, again):
    """A line, or, for a repeat of the line before that changed nothing, its fold."""
    if fixed == 0 and ENFORCER["what"] == what and ENFORCER["key"]:
        return (ENFORCER["key"], {"line": line, "record": record, "again": again})
    ENFORCER["key"], ENFORCER["what"] = f"e{record['_i']}", what
    return (ENFORCER["key"], {"line": line, "record": record})


def bucket_items(record, trig, run):
    """An S3 run: what the event or sweep did, the targets that do not take the logs, the S3
    calls the run made (moto keeps no call log: they come from the run's report)."""
    items = run.get("items", [])
    show = lambda l: "off" if l is None else f"s3://{l.get('bucket')}/{l.get('prefix')}"
    fixed = run.get("drift_fixed", 0)
    calls = run.get("calls") or {}
    n_calls = sum(calls.values())
    if trig.get("kind") == "bucket":
        by = (trig.get("by") or "").rsplit("/", 1)[-1]
        what = f"S3 {trig.get('event')} of {trig.get('name')} by {by}"
        i = items[0] if items else {}
        outcome = i.get("outcome", "in_sync")
        if outcome == "changed":
            text = f"put back {show(i.get('logging_before'))} -> {show(i.get('desired'))}"
        elif outcome == "started":
            text = f"started logging to {show(i.get('desired'))}"
        else:
            text = outcome.replace("_", " ")
        yield enforcer_line(record, what, f"{what}: {text} ({n_calls} S3 calls)", fixed, "delivered again: in sync, nothing changed")
        return
    by = OrderedDict()
    for i in items:
        by.setdefault(i.get("outcome"), []).append(i.get("name"))
    parts = [f"{label} {', '.join(by[o])}" for o, label in (("started", "started logging on"), ("stopped", "stopped logging on"), ("changed", "changed logging of"), ("failed", "FAILED on")) if by.get(o)]
    for key, p in (run.get("misconfigured_targets") or {}).items():
        target, code = key.split("#", 1)
        parts.append(f"{target} does not take the logs of {', '.join(p.get('resources', []))} ({code.replace('_', ' ')})")
    told = (response_of(record).get("notification") or {}).get("outcome") == "published"
    line = (f"S3 sweep: {plural(run.get('checked', 0), 'bucket')} checked, drift on {run.get('drift_found', 0)}, fixed {fixed}; "
            + "; ".join(parts) + f"; {n_calls} S3 calls ({ops_of(calls)})")
    again = "run again: nothing changed" + ("" if told else ", the target not told again")
    yield enforcer_line(record, "S3 sweep", line, fixed, again)


def response_of(record):
    return record.get("response") or {}


def ops_of(counts):
    return ", ".join(op if n == 1 else f"{op} ×{n}" for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def prioritizer_items(record, names):
    response = record.get("response") or {}
    run = response.get("run") or {}
    trig = response.get("trigger") or {}
    what = "sweep" if trig.get("kind") == "sweep" else f"{trig.get('event_name')} event"
    changes = [
        f"{names.get(j.get('job_id'), j.get('job_id'))} {j.get('from')}→{j.get('to')} ({j.get('rule')})"
        for j in run.get("jobs", [])
        if j.get("outcome") in ("changed", "would_change")
    ]
    head = f"{what}: {plural(run.get('jobs_seen', 0), 'job')} seen, priority raised on {len(changes)}"
    yield (f"p{record['_i']}", {"line": head + (": " + ", ".join(changes) if changes else ""), "record": record})
    for c in run.get("confirmations", []):
        job = names.get(c.get("job_id"), c.get("job_id"))
        # A job waiting for confirmation is told once across the steps (every sweep reports it).
        if c.get("outcome") == "waiting" and c.get("job_id") in TOLD:
            continue
        TOLD.add(c.get("job_id"))
        if c.get("outcome") == "waiting":
            late = "overdue, " if c.get("overdue") else ""
            line = f"{job} waits for confirmation ({late}{c.get('waiting_minutes')} min): reported, not confirmed (no auto-confirm rule)"
        else:
            line = f"{job}: confirmation {c.get('outcome')}"
        yield (f"c{record['_i']}", {"line": line, "indent": True})


TOLD = set()
# Retries created in this step, by replacement id: the key of their line.
RETRIED = {}


def harvest_watch_items(record, names):
    r = record.get("response") or {}
    job, status = r.get("harvest_job_id"), r.get("status")
    if r.get("api") == "v2":
        job = f"v2 {r.get('origin_endpoint') or ''}/{job}".replace("v2 /", "v2 ")
    retry = r.get("retry") or {}
    outcome = retry.get("outcome")
    if status == "SUCCEEDED":
        line = f"{job} SUCCEEDED after {r.get('duration_seconds', 0):g} s: nothing to do"
    elif status == "COMPLETED":
        line = f"{job} COMPLETED: nothing to do"
    elif outcome == "created":
        line = f"{job} FAILED: retry {retry.get('attempt')} created as {retry.get('id')}" + (
            " (same schedule, destination and manifests)" if r.get("api") == "v2" else "")
    elif outcome == "already_exists" and retry.get("id") in RETRIED:
        # The same failure delivered again folds into the line of its first delivery.
        text = f"delivered again: {retry.get('id')} already exists, nothing created"
        yield (RETRIED[retry.get("id")], {"line": "", "record": record, "again": text})
        return
    elif outcome == "already_exists":
        line = f"{job} FAILED (delivered again): retry {retry.get('id')} already exists, nothing created"
    elif outcome == "exhausted":
        line = f"{job} FAILED: gave up after {retry.get('attempts')} attempts (exhausted)"
    elif outcome:
        line = f"{job} FAILED: gave up ({outcome}): {retry.get('reason', '')}".rstrip(": ")
    else:
        line = f"{job} {status}"
    # A redelivered give-up folds into the first, saying it announced nothing new.
    if outcome == "created":
        RETRIED[retry.get("id")] = f"h{record['_i']}"
    announced = (r.get("notification") or {}).get("outcome")
    key = f"h:{line}" if retry.get("outcome") in ("exhausted", "aged_out", "endpoint_gone", "rejected") else f"h{record['_i']}"
    yield (key, {"line": line, "record": record, "announced": announced})


def scheduler_items(record, names):
    r = record.get("response") or {}
    created = [c.get("origin_endpoint_id") for c in r.get("clips", []) if c.get("outcome") == "created"]
    window = f"{(r.get('start_time') or '')[11:16]}–{(r.get('end_time') or '')[11:16]} UTC"
    api = "v2 " if r.get("api") == "v2" else ""
    line = f"{api}clips of {window}: created {len(created)}" + (f" ({', '.join(created)})" if created else "")
    line += f", {r.get('already_existed', 0)} already existed, {r.get('rejected', 0)} rejected, {r.get('failed', 0)} failed"
    if r.get("deferred"):
        line += f", {r['deferred']} deferred (channel group quota)"
    # The same schedule run again, creating nothing, folds into the run before it.
    again = not created and r.get("already_existed") and not r.get("failed") and not r.get("deferred")
    if again and SCHEDULED.get(api + window):
        text = f"run again: {r.get('already_existed')} already existed, nothing created"
        yield (SCHEDULED[api + window], {"line": line, "record": record, "again": text})
        return
    SCHEDULED[api + window] = f"s{record['_i']}"
    yield (f"s{record['_i']}", {"line": line, "record": record})


SCHEDULED = {}


RESOURCE_PARAMS = ("pipeline_id", "queue", "job_id", "container", "id", "channel_group")
RENAMED = {"help": "actions", "guard.overview": "overview"}


def command_of(event):
    """The `mediaops` command of a runbook request, as the operator typed it (its resource, and
    --confirm / --dry-run when given)."""
    action = event.get("action") or "?"
    words = RENAMED.get(action) or " ".join(w.replace("_", "-") for w in action.split("."))
    out = ["mediaops", words]
    if action != "jobs.list":
        for p in RESOURCE_PARAMS:
            if isinstance(event.get(p), str):
                out.append(event[p])
                break
    if action == "batch.create":
        out.append("--json @request.json")
    if event.get("confirm") is True:
        out.append("--confirm")
    if event.get("dry_run") is True:
        out.append("--dry-run")
    return " ".join(out)


def runbook_items(record, names):
    event = record.get("event") or {}
    action = event.get("action")
    cmd = command_of(event)
    if "error_type" in record:
        message = record.get("error_message", "")
        message = message.split("; valid actions")[0]
        yield (f"r{record['_i']}", {"line": f"{cmd}: refused, {record['error_type']}: {message}", "record": record})
        return
    r = record.get("response") or {}
    res = r.get("result") or {}
    if action in ("pipeline.status", "queue.status"):
        guard = res.get("guard") or {}
        line = f"{cmd}: {res.get('name')} {res.get('status')}; " + (guard.get("summary") or "no guard record")
    elif action in ("pipeline.drain", "queue.drain") and not r.get("executed"):
        line = f"{cmd}: plan only, nothing changed, no prompt without a terminal: " + "; ".join(r.get("plan", []))
    elif action in ("pipeline.drain", "queue.drain"):
        target = res.get("pipeline_id") or res.get("queue")
        line = (
            f"{cmd}: {names.get(target, target)} cancelled {res.get('cancelled')}, "
            f"{res.get('left_running')} already running (left to finish), "
            f"{((res.get('jobs') or {}).get('counts') or {}).get('failed', 0)} failed"
        )
    elif action in ("pipeline.recover", "queue.recover"):
        target = res.get("pipeline_id") or res.get("queue")
        skipped = ", ".join(f"{n} {k}" for k, n in (res.get("skipped") or {}).items())
        if not r.get("confirmed"):
            line = (
                f"{cmd}: plan only: {res.get('would_resubmit')} failed jobs of the guard's burst to resubmit"
                f"{'; skipped ' + skipped if skipped else ''}; {names.get(target, target)} is {res.get(target and 'queue_status' if res.get('queue') else 'pipeline_status')}: the copies wait until it is resumed"
            )
        else:
            # What the report says the copies did not carry (GetJob never returns tags).
            lost = ", ".join(res.get("not_carried") or {})
            line = (
                f"{cmd}: resubmitted {res.get('resubmitted')}, each once "
                f"(marked mediaops:resubmit-of, recorded in the guard table"
                f"{'; ' + lost + ' not carried' if lost else ''})"
            )
    elif action in ("pipeline.resume", "queue.resume", "pipeline.pause", "queue.pause"):
        line = f"{cmd}: now {res.get('status')}; guard record {res.get('guard_record', 'untouched')}"
    elif action == "jobs.list":
        req = r.get("request") or {}
        line = f"{cmd} --status {req.get('status', '')}: {res.get('count')} {req.get('order', '')} jobs listed".replace("  ", " ")
    elif action == "batch.confirm":
        job = res.get("job_id")
        line = f"mediaops batch confirm {names.get(job, job)}: {res.get('status_before')} → {res.get('status')}"
    elif action == "logging.status":
        line = f"{cmd}: {res.get('containers')} containers, logging on {res.get('logging_on')}, off {res.get('logging_off')}"
    elif action == "batch.create":
        line = (
            f"{cmd}: {res.get('operation')} job {res.get('job_id')} {res.get('status')}, priority {res.get('priority')} "
            f"(token {res.get('client_request_token')})"
        )
    else:
        line = f"{cmd}: executed={r.get('executed')}"
    # The same batch.create twice is one job: one line, "2×".
    key = f"create-{res.get('job_id')}" if action == "batch.create" else f"r{record['_i']}"
    yield (key, {"line": line, "record": record})


ITEMS = {
    "pipeline-guard": guard_items,
    "queue-guard": guard_items,
    "access-log-enforcer": enforcer_items,
    "batch-prioritizer": prioritizer_items,
    "harvest-watch": harvest_watch_items,
    "harvest-scheduler": scheduler_items,
    "runbook": runbook_items,
}


def record_calls(record, calls):
    lo, hi = record.get("started_ms", 0), record.get("ended_ms", 0)
    return [c for c in calls if lo <= c.get("at_ms", 0) <= hi]


def step(work, function, calls_path):
    state = load_state(work)
    ENFORCER["key"] = ENFORCER["what"] = None
    TOLD.update(state.get("told", []))
    records = load_jsonl(os.path.join(work, "record.jsonl"))
    new = records[state["records_seen"]:]
    with open(calls_path) as f:
        calls = json.load(f)
    calls = calls.get("calls", calls) if isinstance(calls, dict) else calls
    step_calls = [c for c in calls if c.get("seq", 0) > state["last_seq"]]
    ids = names(work)
    items = []
    for i, record in enumerate(new):
        record["_i"] = state["records_seen"] + i
        if "error_type" in record and function != "runbook":
            items.append((f"err{i}", {"line": f"ERROR {record['error_type']}: {record.get('error_message', '')[:160]}"}))
            continue
        items.extend((ITEMS.get(function) or (lambda r, n: iter(())))(record, ids))
    state["told"] = sorted(TOLD)
    # Fold consecutive items with the same key.
    groups = []
    for key, item in items:
        if groups and groups[-1][0] == key:
            groups[-1][1].append(item)
        else:
            groups.append((key, [item]))
    for n, (key, group) in enumerate(groups):
        line = fold(key, group)
        if "{calls}" in line:
            line = line.replace("{calls}", calls_phrase(record_calls(group[0]["record"], step_calls)))
        if n == 0:
            print(f"  {function}: {line}")
        else:
            print(("      " if group[0].get("indent") else "    ") + line)
    subjects = [c.get("params", {}).get("Subject", "") for c in step_calls if c.get("operation") == "Publish" and c.get("status") == 200]
    if subjects:
        print(f"    -> notified: {' | '.join(subjects)}")
    state["records_seen"] = len(records)
    if step_calls:
        state["last_seq"] = max(c.get("seq", 0) for c in step_calls)
    state["steps"].append(
        {
            "function": function,
            "events": [event_label(function, r) for r in new],
            "outcomes": [outcome_label(function, r) for r in new],
            "calls": ops(step_calls) or "none",
            "n_calls": len(step_calls),
        }
    )
    save_state(work, state)


def event_label(function, record):
    e = record.get("event") or {}
    if isinstance(e.get("Records"), list):
        return "SNS notification"
    if e.get("detail-type"):
        return "EventBridge " + DETAIL_TYPES.get(e["detail-type"], e["detail-type"])
    if function == "runbook":
        return "runbook request"
    if e.get("action") == "sweep" or e.get("scheduled_time"):
        return "schedule"
    return "event"


DETAIL_TYPES = {
    "MediaConvert Job State Change": "job state change",
    "MediaStore Container State Change": "container change",
    "AWS Service Event via CloudTrail": "batch job event",
    "AWS API Call via CloudTrail": "S3 bucket call",
    "MediaPackage HarvestJob Notification": "harvest notification",
    "MediaPackageV2 HarvestJob Notification": "harvest notification",
}


def outcome_label(function, record):
    if "error_type" in record:
        return "refused" if function == "runbook" else "error"
    r = record.get("response") or {}
    if function in ("pipeline-guard", "queue-guard"):
        recs = r.get("records") if "records" in r else [r]
        out = []
        for x in recs:
            d = x.get("decision")
            out.append(d.get("action") if d else x.get("outcome"))
        return ",".join(o or "?" for o in out)
    if function == "access-log-enforcer":
        run = r.get("run")
        return f"fixed {run.get('drift_fixed')}" if run else "ignored"
    if function == "batch-prioritizer":
        run = r.get("run") or {}
        return f"raised {run.get('changed')}"
    if function == "harvest-watch":
        return (r.get("retry") or {}).get("outcome") or (r.get("status") or "?").lower()
    if function == "harvest-scheduler":
        return f"created {r.get('created')}"
    if function == "runbook":
        return "executed" if r.get("executed") else "read/plan"
    return "ok"


def table(work, calls_path):
    state = load_state(work)
    rows = []
    for s in state["steps"]:
        events = Counter(s["events"])
        outcomes = Counter(s["outcomes"])
        rows.append(
            (
                s["function"],
                ", ".join(f"{n} {e}s" if n > 1 else f"1 {e}" for e, n in events.items()),
                ", ".join(f"{o} ×{n}" if n > 1 else o for o, n in outcomes.items()),
                f"{s['n_calls']}: {s['calls']}" if s["n_calls"] else "0",
            )
        )
    head = ("function", "events", "outcome", "AWS calls (emulator call log)")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(3)]
    def fmt(r):
        return " | ".join(r[i].ljust(widths[i]) for i in range(3)) + " | " + r[3]
    print(fmt(head))
    print("-+-".join("-" * w for w in widths) + "-+-" + "-" * len(head[3]))
    for r in rows:
        print(fmt(r))
    total = sum(s["n_calls"] for s in state["steps"])
    with open(calls_path) as f:
        calls = json.load(f)
    logged = len(calls.get("calls", calls) if isinstance(calls, dict) else calls)
    invocations = sum(len(s["events"]) for s in state["steps"])
    print(f"{plural(len(rows), 'step')}, {invocations} invocations, {total} AWS calls: the emulator's call log holds {logged}")
    if total != logged:
        print("MISMATCH: the table does not account for every call in the emulator's call log")
        return 1
    return 0


# ---- state diff ----------------------------------------------------------------------------


def show(value):
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def entities(state):
    """(service, collection, key) → (label, flat fields) for every listed entity."""
    out = OrderedDict()
    for service, body in sorted(state.items()):
        if not isinstance(body, dict):
            continue
        for coll, value in sorted(body.items()):
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for v in value:
                    key = v.get("name") or v.get("id")
                    label = v.get("name") or (f'"{v["description"]}"' if v.get("description") else v.get("id"))
                    fields = {}
                    for k, x in v.items():
                        if k in ("id", "name"):
                            continue
                        if isinstance(x, dict):
                            for k2, x2 in x.items():
                                fields[f"{k}.{k2}"] = x2
                        else:
                            fields[k] = x
                    out[(service, coll, key)] = (label, fields)
            elif not isinstance(value, (list, dict)):
                out[(service, coll, "")] = (coll, {"count": value})
    return out


def diff(before_path, after_path):
    with open(before_path) as f:
        before = entities(json.load(f))
    with open(after_path) as f:
        after = entities(json.load(f))
    lines = []
    added = OrderedDict()
    for key, (label, fields) in after.items():
        service, coll = key[0], key[1]
        where = f"{service} {coll.rstrip('s') if coll != 'jobs' else 'job'}"
        if key not in before:
            shown = ", ".join(f"{k} {show(v)}" for k, v in fields.items() if k in ("status", "priority", "origin_endpoint_id", "operation", "access_logging"))
            added.setdefault(where, []).append((label, shown))
            continue
        old = before[key][1]
        changes = []
        for k in sorted(set(old) | set(fields)):
            a, b = old.get(k, 0 if k.startswith("jobs.") else None), fields.get(k, 0 if k.startswith("jobs.") else None)
            if a != b:
                changes.append(f"{k} {show(a)} → {show(b)}")
        if changes:
            lines.append(f"  ~ {where} {label}: " + ", ".join(changes))
    # New entities of one kind on one line.
    for where, items in added.items():
        if len(items) == 1:
            lines.append(f"  + {where} {items[0][0]}: {items[0][1]}")
        else:
            lines.append(f"  + {len(items)} {where}s: " + "; ".join(f"{label} ({shown})" for label, shown in items))
    for key, (label, _) in before.items():
        if key not in after:
            lines.append(f"  - {key[0]} {key[1]} {label}")
    print("\n".join(lines) if lines else "  (nothing changed)")


def messages(path, everything):
    """The messages published to the notification topic: how many, then the first in full (its
    plain-text story; with --all every message, JSON section included)."""
    with open(path) as f:
        topics = json.load(f).get("topics", [])
    msgs = [m for t in topics for m in t.get("messages", [])]
    msgs.sort(key=lambda m: m.get("at_ms", 0))
    if not msgs:
        print("  (no messages)")
        return
    print(f"  {plural(len(msgs), 'message')} (each subject is shown after its step: -> notified); the first, as received:")
    for m in msgs if everything else msgs[:1]:
        text = m.get("message", "")
        if not everything:
            text = text.split("--- details (JSON) ---")[0].rstrip()
        print(f"  | Subject: {m.get('subject')}")
        for line in text.splitlines():
            print(f"  | {line}" if line else "  |")
        if everything:
            print()


def main(argv):
    if len(argv) == 5 and argv[1] == "step":
        step(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "table":
        return table(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "diff":
        diff(argv[2], argv[3])
    elif len(argv) in (3, 4) and argv[1] == "messages":
        messages(argv[2], argv[3:] == ["--all"])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
