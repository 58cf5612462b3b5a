#!/usr/bin/env python3
"""MediaConvert model drift: the members of botocore's current model that aws-sdk-mediaconvert lacks.

Compares the vendored botocore model (tests/integration/models/mediaconvert-2017-08-29.json) with
the Rust SDK the workspace builds against: the `aws-sdk-mediaconvert` version in Cargo.lock, read
from its crate source in the cargo registry ($CARGO_HOME/registry/src/*/aws-sdk-mediaconvert-<v>/).
What the SDK knows of a shape is what its generated code reads and writes: the JSON keys of
`protocol_serde`'s `ser_<shape>` (what CreateJob can send) and `de_<shape>` (what GetJob keeps).

For every structure reachable from `CreateJobRequest` (serializers) and from `Job` (deserializers),
it lists the members the model has and the SDK does not; a typed GetJob -> CreateJob copy drops
each of them. It also lists members the SDK has and the model lacks (the vendored model is older
than the SDK: update it). Nothing is hard-coded, so the list follows both sides: bump the SDK in
Cargo.lock or re-vendor the model and the answer changes with them.

  python3 tools/mediaconvert_drift.py                 # readable report
  python3 tools/mediaconvert_drift.py --json          # for tests
  python3 tools/mediaconvert_drift.py --covers FILE   # also: which missing members FILE (a CreateJob
                                                      # body, wire or boto3 names) leaves unexercised;
                                                      # exit 1 if any

Exit status: 0 (even with drift: drift is information), 1 when --covers finds gaps, 2 on usage or
when the SDK source or model cannot be read.
"""
import argparse
import glob
import json
import os
import re
import sys
from collections import deque

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "tests/integration/models/mediaconvert-2017-08-29.json")
CRATE = "aws-sdk-mediaconvert"
# The two directions a resubmission crosses: what CreateJob can send, what GetJob keeps.
ROOTS = {"ser": "CreateJobRequest", "de": "Job"}
OPERATION_OF = {"CreateJobRequest": "CreateJob", "GetJobResponse": "GetJob"}

FN_RE = re.compile(r"^pub(?:\(crate\))? fn ((?:ser|de)_[a-z0-9_]+)", re.M)
SER_KEY_RE = re.compile(r'\.key\("([^"]+)"\)')
DE_KEY_RE = re.compile(r'^\s*"([^"]+)" =>', re.M)


def fail(msg):
    print(f"mediaconvert_drift: {msg}", file=sys.stderr)
    sys.exit(2)


def locked_version(lock_path):
    try:
        text = open(lock_path, encoding="utf-8").read()
    except OSError as e:
        fail(f"cannot read {lock_path}: {e}")
    m = re.search(r'\[\[package\]\]\nname = "' + re.escape(CRATE) + r'"\nversion = "([^"]+)"', text)
    if not m:
        fail(f"{CRATE} is not in {lock_path}")
    return m.group(1)


def find_sdk(version):
    home = os.environ.get("CARGO_HOME") or os.path.join(os.path.expanduser("~"), ".cargo")
    hits = sorted(glob.glob(os.path.join(home, "registry", "src", "*", f"{CRATE}-{version}")))
    if not hits:
        fail(f"{CRATE}-{version} not found under {home}/registry/src (run `cargo fetch`, or give --sdk-dir)")
    return hits[0]


def norm(name):
    return name.replace("_", "").lower()


def sdk_functions(sdk_dir):
    """{normalised function name: set of JSON keys} for every ser_/de_ function of protocol_serde."""
    out = {}
    files = glob.glob(os.path.join(sdk_dir, "src", "protocol_serde", "*.rs"))
    if not files:
        fail(f"no protocol_serde sources under {sdk_dir}")
    for path in files:
        text = open(path, encoding="utf-8").read()
        marks = [(m.start(), m.group(1)) for m in FN_RE.finditer(text)]
        for i, (start, name) in enumerate(marks):
            body = text[start: marks[i + 1][0] if i + 1 < len(marks) else len(text)]
            keys = SER_KEY_RE.findall(body) if name.startswith("ser_") else DE_KEY_RE.findall(body)
            out.setdefault(norm(name), set()).update(keys)
    return out


def sdk_keys(functions, side, shape):
    """The JSON keys the SDK reads (de) or writes (ser) for a structure, or None if it has none."""
    if side == "ser" and shape.endswith("Request") and shape in OPERATION_OF:
        name = "ser" + norm(OPERATION_OF[shape]) + "inputinput"
    elif side == "de" and shape in OPERATION_OF.values():
        name = "de" + norm(shape)
    else:
        name = side + norm(shape)
    return functions.get(name)


def wire(member_name, member):
    return member.get("locationName", member_name)


def body_members(shape):
    """(wire name, member) of a structure's members that travel in the JSON body."""
    return [(wire(n, m), m) for n, m in shape.get("members", {}).items() if "location" not in m]


def analyse(model, functions):
    shapes = model["shapes"]
    missing = {}  # (shape, member) -> {"sides": set, "path": str, "target": shape}
    sdk_only = {}
    shapes_absent = {}
    for side, root in ROOTS.items():
        seen = set()
        queue = deque([(root, "$")])
        while queue:
            name, path = queue.popleft()
            if name in seen:
                continue
            seen.add(name)
            shape = shapes[name]
            kind = shape["type"]
            if kind == "list":
                queue.append((shape["member"]["shape"], path + "[]"))
                continue
            if kind == "map":
                queue.append((shape["value"]["shape"], path + "{}"))
                continue
            if kind != "structure":
                continue
            known = sdk_keys(functions, side, name)
            if known is None:
                shapes_absent.setdefault(name, {"sides": set(), "path": path})["sides"].add(side)
                continue
            members = body_members(shape)
            for key, member in members:
                if key in known:
                    queue.append((member["shape"], f"{path}.{key}"))
                else:
                    entry = missing.setdefault(
                        (name, key), {"sides": set(), "path": f"{path}.{key}", "target": member["shape"]}
                    )
                    entry["sides"].add(side)
            wires = {k for k, _ in members}
            for key in sorted(known - wires):
                sdk_only.setdefault((name, key), set()).add(side)
    return missing, sdk_only, shapes_absent


def covered(model, document):
    """The (shape, wire name) pairs a CreateJob body exercises, walked with the model from
    CreateJobRequest and from Job (GetJob returns the same members). The body may use wire names
    (lowerCamel, as on the wire) or member names (PascalCase, as boto3 and the CLI take them)."""
    shapes = model["shapes"]
    found = set()

    def walk(name, value):
        shape = shapes[name]
        kind = shape["type"]
        if kind == "structure" and isinstance(value, dict):
            by_key = {}
            for member_name, member in shape.get("members", {}).items():
                if "location" not in member:
                    by_key[wire(member_name, member)] = (wire(member_name, member), member)
                    by_key[member_name] = (wire(member_name, member), member)
            for key, v in value.items():
                if key in by_key:
                    wire_name, member = by_key[key]
                    found.add((name, wire_name))
                    walk(member["shape"], v)
        elif kind == "list" and isinstance(value, list):
            for v in value:
                walk(shape["member"]["shape"], v)
        elif kind == "map" and isinstance(value, dict):
            for v in value.values():
                walk(shape["value"]["shape"], v)

    walk("CreateJobRequest", document)
    walk("Job", document)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--lock", default=os.path.join(ROOT, "Cargo.lock"))
    ap.add_argument("--sdk-dir", help="the aws-sdk-mediaconvert crate source (default: from Cargo.lock and the cargo registry)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--covers", metavar="FILE", help="a CreateJob body: report the missing members it does not exercise")
    args = ap.parse_args()

    try:
        model = json.load(open(args.model, encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"cannot read the model {args.model}: {e}")
    if args.sdk_dir:
        sdk_dir = args.sdk_dir
        m = re.search(re.escape(CRATE) + r"-([0-9][^/]*)$", os.path.normpath(sdk_dir))
        version = m.group(1) if m else "unknown"
    else:
        version = locked_version(args.lock)
        sdk_dir = find_sdk(version)
    functions = sdk_functions(sdk_dir)
    missing, sdk_only, shapes_absent = analyse(model, functions)

    report = {
        "sdk": {"crate": CRATE, "version": version, "dir": sdk_dir},
        "model": {"file": os.path.relpath(args.model, ROOT), "source": model.get("_source", "")},
        "missing": [
            {"shape": s, "member": k, "sides": sorted(e["sides"]), "path": e["path"], "target": e["target"]}
            for (s, k), e in sorted(missing.items())
        ],
        "sdk_only": [{"shape": s, "member": k, "sides": sorted(sides)} for (s, k), sides in sorted(sdk_only.items())],
        "shapes_absent": [
            {"shape": s, "sides": sorted(e["sides"]), "path": e["path"]} for s, e in sorted(shapes_absent.items())
        ],
    }
    gaps = None
    if args.covers:
        try:
            doc = json.load(open(args.covers, encoding="utf-8"))
        except (OSError, ValueError) as e:
            fail(f"cannot read {args.covers}: {e}")
        have = covered(model, doc)
        gaps = [m for m in report["missing"] if (m["shape"], m["member"]) not in have]
        report["covers"] = {"file": args.covers, "not_exercised": gaps}

    if args.json:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"{CRATE} {version} against {report['model']['file']} ({report['model']['source'].split(' (')[0]})")
        names = {"ser": "CreateJob cannot send", "de": "GetJob drops"}
        print(f"{len(report['missing'])} members the SDK lacks (a typed GetJob -> CreateJob copy loses each):")
        for m in report["missing"]:
            print(f"  {m['shape']}.{m['member']} ({'; '.join(names[s] for s in m['sides'])}) at {m['path']}")
        if report["sdk_only"]:
            print(f"{len(report['sdk_only'])} members the SDK has and the vendored model lacks (re-vendor the model):")
            for m in report["sdk_only"]:
                print(f"  {m['shape']}.{m['member']}")
        if gaps is not None:
            print(f"{args.covers}: {len(gaps)} of them not exercised")
            for m in gaps:
                print(f"  {m['shape']}.{m['member']} at {m['path']}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
