#!/usr/bin/env python3
"""Lists which file of a crate uses which (`crate::`, `super::`, `self::` paths, in `use` lines
and in code), and fails when files import each other in a circle.

    python3 tools/imports.py            # every crate of the workspace: circles, exit 1 if any
    python3 tools/imports.py --list     # and each file's imports
    python3 tools/imports.py shared     # one crate (its folder)

A file's module path comes from where it lies (`src/policy/breaker.rs` is `policy::breaker`); a
path is charged to the deepest file it names (`crate::policy::breaker::Action` is
`policy/breaker.rs`), through the crate root's `pub use` re-exports. `mod` declarations are not
imports, and test modules (`#[cfg(test)] mod tests { … }`) are left out: a circle is about what
the production code needs.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def crates():
    """Each crate's source folder and its roots (lib.rs / main.rs / src/bin/*.rs each a crate)."""
    out = []
    for top in ["shared", "cli"] + sorted(
        os.path.join("functions", d) for d in os.listdir(os.path.join(ROOT, "functions"))
    ):
        src = os.path.join(ROOT, top, "src")
        if os.path.isdir(src):
            out.append((top, src))
    return out


def strip_tests_and_comments(text):
    # Cut every `#[cfg(test)]` item that is a `mod … {` block (brace-matched).
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
            j += 1
        i = j
    out.append(text[i:])
    text = "".join(out)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    return text


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"\bas\w+", "", tree)
    m = re.match(r"^(.*?)\{(.*)\}$", tree)
    if not m:
        return [tree]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p:
            out += [prefix + x for x in expand_use(p)]
    return out


def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def graph(src):
    files = []
    for d, _, names in os.walk(src):
        files += [os.path.join(d, n) for n in names if n.endswith(".rs")]
    # Separate crates: main.rs and src/bin/* are roots of their own; lib.rs with the rest.
    def crate_of(f):
        rel = os.path.relpath(f, src)
        if rel == "main.rs" or rel.startswith("bin" + os.sep):
            return rel
        return "lib"

    by_mod = {}
    for f in files:
        if crate_of(f) == "lib":
            by_mod[tuple(module_of(src, f))] = f
    texts = {f: strip_tests_and_comments(open(f, encoding="utf-8").read()) for f in files}
    reexports = {}
    for f in files:
        names = {}
        for m in re.finditer(r"\bpub\s+use\s+([^;]+);", texts[f]):
            for p in expand_use(m.group(1)):
                segs = [s for s in p.split("::") if s]
                if segs and segs[-1] != "*":
                    names[segs[-1]] = segs
        reexports[f] = names

    def resolve(f, segs, depth=0):
        """The file a module path (absolute, from the crate root) names."""
        for n in range(len(segs), -1, -1):
            target = by_mod.get(tuple(segs[:n]))
            if target is None:
                continue
            rest = segs[n:]
            if rest and rest[0] in reexports.get(target, {}) and depth < 5:
                via = reexports[target][rest[0]]
                base = module_of(src, target)
                if via[0] == "crate":
                    absolute = via[1:]
                elif via[0] == "super":
                    absolute = base[:-1] + via[1:]
                elif via[0] == "self":
                    absolute = base + via[1:]
                else:
                    absolute = base + via
                return resolve(f, absolute + rest[1:], depth + 1) or target
            return target
        return None

    edges = {f: set() for f in files if crate_of(f) == "lib"}
    for f in edges:
        here = module_of(src, f)
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", texts[f]):
            paths += expand_use(m.group(1))
        paths += re.findall(r"\b((?:crate|super|self)(?:::\w+)+)", texts[f])
        for p in paths:
            segs = [s for s in p.split("::") if s and s != "*"]
            if not segs:
                continue
            if segs[0] == "crate":
                absolute = segs[1:]
            elif segs[0] == "self":
                absolute = here + segs[1:]
            elif segs[0] == "super":
                ups = 0
                while ups < len(segs) and segs[ups] == "super":
                    ups += 1
                absolute = here[: len(here) - ups] + segs[ups:]
            elif tuple(here + segs[:1]) in by_mod:
                # A path relative to this module (`use policy::x` in lib.rs).
                absolute = here + segs
            else:
                continue
            t = resolve(f, absolute)
            if t and t != f:
                edges[f].add(t)
    return edges


def cycles(edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return out


def main(argv):
    listing = "--list" in argv
    only = [a for a in argv if not a.startswith("-")]
    bad = 0
    for name, src in crates():
        if only and name not in only:
            continue
        edges = graph(src)
        rel = lambda f: os.path.relpath(f, ROOT)
        if listing:
            print(f"# {name}")
            for f in sorted(edges):
                uses = ", ".join(sorted(os.path.relpath(t, src) for t in edges[f])) or "-"
                print(f"{os.path.relpath(f, src)}: {uses}")
        found = cycles(edges)
        for c in found:
            bad += 1
            print(f"circle in {name}: " + " <-> ".join(rel(f) for f in c))
        if not found:
            print(f"{name}: {len(edges)} files, {sum(len(v) for v in edges.values())} imports, no circle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
