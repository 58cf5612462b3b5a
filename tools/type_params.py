#!/usr/bin/env python3
"""Lists the type parameter lists of production code (fn, impl, struct, enum, trait, type) with
more than three type parameters, and fails when there is one outside the bulk engine
(`shared/src/bulk.rs`, whose closures are its parameters).

    python3 tools/type_params.py           # the longest lists, exit 1 over the limit
    python3 tools/type_params.py --all     # every list of two or more

Lifetimes do not count; test modules (`#[cfg(test)] mod … { … }`) are left out.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imports import ROOT, crates, strip_tests_and_comments  # noqa: E402

LIMIT = 3
EXEMPT = {os.path.join("shared", "src", "bulk.rs")}
HEAD = re.compile(r"\b(?:fn\s+\w+|impl|struct\s+\w+|enum\s+\w+|trait\s+\w+|type\s+\w+)\s*<")


def params(text, start):
    """The generic list opening at `start` (the `<`), split at its top-level commas."""
    depth, i, cur, out = 0, start, "", []
    while i < len(text):
        c = text[i]
        if c == "<":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ">" and text[i - 1] != "-":
            depth -= 1
            if depth == 0:
                out.append(cur)
                return [p.strip() for p in out if p.strip()]
        elif c == "," and depth == 1:
            out.append(cur)
            cur = ""
            i += 1
            continue
        cur += c
        i += 1
    return []


def lists():
    for name, src in crates():
        for d, _, files in os.walk(src):
            for f in files:
                if not f.endswith(".rs"):
                    continue
                path = os.path.join(d, f)
                text = strip_tests_and_comments(open(path, encoding="utf-8").read())
                for m in HEAD.finditer(text):
                    ps = [p for p in params(text, m.end() - 1) if not p.startswith("'")]
                    line = text.count("\n", 0, m.start()) + 1
                    yield os.path.relpath(path, ROOT), line, m.group(0).rstrip("<").strip(), ps


def main(argv):
    show_all = "--all" in argv
    over = 0
    for path, line, head, ps in sorted(lists(), key=lambda x: -len(x[3])):
        if len(ps) > LIMIT or (show_all and len(ps) >= 2):
            exempt = path in EXEMPT
            over += len(ps) > LIMIT and not exempt
            note = " (the bulk engine's closures: exempt)" if exempt and len(ps) > LIMIT else ""
            print(f"{path}:{line}: {head}<{', '.join(ps)}> ({len(ps)}){note}")
    print(f"{over} type parameter lists over {LIMIT} outside the bulk engine")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
