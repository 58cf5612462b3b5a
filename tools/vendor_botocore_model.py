#!/usr/bin/env python3
"""Trims a botocore service model to the operations an emulator serves, for vendoring.

Keeps the metadata, the named operations (their http binding, input, output and error shapes) and
every shape those reach, each with every member, type, enum, min/max, pattern, required,
location and locationName; drops `documentation` (size). Reads the model from the botocore that
runs this script, so run it with the pinned venv (`scripts/tools botocore`):

  .venv-botocore/bin/python tools/vendor_botocore_model.py mediaconvert \\
      CreateQueue GetQueue ListQueues UpdateQueue CreateJob GetJob ListJobs CancelJob \\
      CreateJobTemplate GetJobTemplate CreatePreset GetPreset \\
      > tests/integration/models/mediaconvert-2017-08-29.json

A service botocore no longer ships (Elastic Transcoder, removed after 1.42.17) is read from a file
instead, with the text `_source` gives it:

  git -C <botocore clone> show 1.42.17:botocore/data/elastictranscoder/2012-09-25/service-2.json > et.json
  python3 tools/vendor_botocore_model.py --from et.json --source "…" elastictranscoder \\
      CreateJob ReadJob ... > tests/integration/models/elastictranscoder-2012-09-25.json
"""
import json
import sys


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in ("documentation", "documentationUrl")}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def main(argv):
    argv = list(argv)
    from_file = source = None
    while len(argv) > 1 and argv[1] in ("--from", "--source"):
        if len(argv) < 3:
            print(__doc__, file=sys.stderr)
            return 2
        if argv[1] == "--from":
            from_file = argv[2]
        else:
            source = argv[2]
        del argv[1:3]
    if len(argv) < 3 or (from_file is None) != (source is None):
        print(__doc__, file=sys.stderr)
        return 2
    service, operations = argv[1], argv[2:]
    if from_file is not None:
        with open(from_file, encoding="utf-8") as f:
            model = json.load(f)
    else:
        import botocore.loaders

        model = botocore.loaders.Loader().load_service_model(service, "service-2")
    api_version = model["metadata"]["apiVersion"]
    shapes = model["shapes"]
    keep = set()

    def reach(name):
        if name in keep:
            return
        keep.add(name)
        shape = shapes[name]
        for part in ("member", "key", "value"):
            if part in shape:
                reach(shape[part]["shape"])
        for member in shape.get("members", {}).values():
            reach(member["shape"])

    ops = {}
    for op in operations:
        o = model["operations"][op]
        ops[op] = strip(o)
        for part in ("input", "output"):
            if part in o:
                reach(o[part]["shape"])
        for err in o.get("errors", []):
            reach(err["shape"])
    if source is None:
        import botocore

        source = f"botocore {botocore.__version__} (PyPI) botocore/data/{service}/{api_version}/service-2.json"
    out = {
        "_source": (
            f"{source}, trimmed by tools/vendor_botocore_model.py to the operations the emulator serves "
            "(documentation removed)"
        ),
        "metadata": strip(model["metadata"]),
        "operations": dict(sorted(ops.items())),
        "shapes": {name: strip(shapes[name]) for name in sorted(keep)},
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
