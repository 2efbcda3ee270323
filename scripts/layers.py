#!/usr/bin/env python3
"""Checks the house rules on how the files of src/ depend on each other (docs/ARCHITECTURE.md).

A file depends on another when it names an item of it: `use crate::a::b`, `use super::x`, or a path written
inline (`crate::finders::path::scope::outside`). Each such path is resolved to the file that defines the module
it goes through (a/b.rs or a/b/mod.rs; a parent's mod.rs when the last segment is an item). The `pub use`
re-exports of a mod.rs are its module's face, not a dependency; `mod x;` declarations are not either.

It fails (exit 1) on:
- a cycle between files (two files importing each other, or a longer loop), listed with the path that closes it;
- a broken layer rule: spec.rs imports nothing from finders/, executor.rs or runtime/; the core (everything but
  ffi/ and bin/) imports nothing from ffi/; nothing imports bin/.

`--graph` prints every edge.
"""

import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def module_of(rel):
    """src-relative file -> its module path (a list of segments)."""
    parts = rel[:-3].split("/")
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    if parts and parts[0] == "bin":
        return None
    return parts


def file_of(mod, files):
    """The file that defines module `mod`, or None."""
    if not mod:
        return "lib.rs"
    a = "/".join(mod) + ".rs"
    b = "/".join(mod) + "/mod.rs"
    return a if a in files else b if b in files else None


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    for line in text.splitlines():
        # Strings may hold '//' (URLs); only cut a comment that starts outside a string, roughly.
        code = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
        cut = code.find("//")
        out.append(code if cut < 0 else code[:cut])
    return "\n".join(out)


def targets(rel, text, files):
    """The files `rel` depends on."""
    here = module_of(rel)
    if here is None:
        return set()
    # In a.rs or a/mod.rs, `self` is module a; `super` is its parent.
    is_mod = rel.endswith("mod.rs") or rel == "lib.rs"
    deps = set()
    text = strip_comments(text)
    # Inside a file's inline test module, `super::` is the file itself.
    cut = re.search(r"\bmod\s+tests\s*\{", text)
    if cut:
        text = text[: cut.start()] + text[cut.start():].replace("super::", "self::")
    if is_mod:
        # A mod.rs's re-exports (`pub use child::Item;`) are the module's face, not a dependency of its code.
        text = re.sub(r"(?m)^\s*pub(?:\([a-z]+\))?\s+use\s+[^;]*;", "", text)
    # The test module of a file (`#[cfg(test)] mod tests`) counts too: it is code of that file.
    paths = []
    for m in USE_GROUP.finditer(text):
        base = m.group(1) + m.group(2)
        for item in re.split(r",", re.sub(r"\s+", "", m.group(3))):
            item = item.split("{")[0]
            if item:
                paths.append(base + "::" + item.split("::")[0] if item != "self" else base)
    for m in PATH.finditer(text):
        paths.append(m.group(1) + m.group(2))
    # A path that starts with a child module's name (`use dir::X`, `scope::enter()`) in the file that
    # declares it.
    own = here if is_mod else here[:-1]
    base = "self" if is_mod else "super"
    children = {f.split("/")[len(own)].removesuffix(".rs") for f in files
                if f.startswith("/".join(own) + "/" if own else "") and f.count("/") >= len(own)}
    children = {c for c in children if file_of(own + [c], files) and re.search(r"\bmod\s+" + c + r"\s*;", text)}
    for c in children:
        for m in re.finditer(r"(?<![:\w])" + c + r"((?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
            paths.append(base + "::" + c + m.group(1) if is_mod else "self::" + c + m.group(1))
    for p in paths:
        segs = p.split("::")
        head, rest = segs[0], segs[1:]
        if head == "crate":
            mod = []
        elif head == "self":
            mod = list(here)
        else:
            mod = list(here)
            while rest and head == "super":
                mod = mod[:-1]
                head = rest[0] if rest and rest[0] == "super" else None
                if head == "super":
                    rest = rest[1:]
            mod = mod if mod is not None else []
        # `super` in a/b.rs means module a; in a/b/mod.rs (module a::b) it is a as well.
        if segs[0] == "super" and not is_mod:
            pass
        rest = [s for s in rest if s != "super"]
        # Walk down as far as modules exist; the deepest file found is the dependency.
        found = file_of(mod, files)
        for s in rest:
            f = file_of(mod + [s], files)
            if f is None:
                break
            mod = mod + [s]
            found = f
        if found and found != rel:
            deps.add(found)
    return deps


def main():
    files = set()
    for d, _, names in os.walk(ROOT):
        for n in names:
            if n.endswith(".rs"):
                files.add(os.path.relpath(os.path.join(d, n), ROOT).replace(os.sep, "/"))
    graph = {}
    for rel in sorted(files):
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            graph[rel] = targets(rel, f.read(), files)
    # A mod.rs that only declares its children (`pub mod x;`) does not depend on them by that.
    if "--graph" in sys.argv:
        for a in sorted(graph):
            for b in sorted(graph[a]):
                print(f"{a} -> {b}")
    problems = []
    for a, deps in graph.items():
        for b in deps:
            if a == "spec.rs" and (b.startswith(("finders/", "runtime/")) or b == "executor.rs"):
                problems.append(f"layer: spec.rs imports {b}")
            if not a.startswith(("ffi/", "bin/")) and a != "lib.rs" and b.startswith("ffi/"):
                problems.append(f"layer: the core file {a} imports {b} (the C layer)")
            if b.startswith("bin/"):
                problems.append(f"layer: {a} imports {b}")
    # Cycles: a depth-first search that reports each back edge with the loop it closes.
    state = {}
    stack = []

    def visit(a):
        state[a] = 1
        stack.append(a)
        for b in sorted(graph.get(a, ())):
            if b == "lib.rs":
                continue
            if state.get(b) == 1:
                loop = stack[stack.index(b):] + [b]
                problems.append("cycle: " + " -> ".join(loop))
            elif b not in state:
                visit(b)
        stack.pop()
        state[a] = 2

    for a in sorted(graph):
        if a not in state and a != "lib.rs":
            visit(a)
    for p in problems:
        print(p)
    edges = sum(len(v) for v in graph.values())
    print(f"layers: {len(graph)} files, {edges} imports, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
