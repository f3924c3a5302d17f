"""Prints the structure figures of issue 19: import cycles between files and imports that run
against DESIGN.md's layer order, counting imports inside functions too (grimp reads every
import statement), and each room's share of the lines.

    python bench/layers.py            # the working tree
"""

import sys
from collections import Counter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
# DESIGN.md "Layout": lowest first; support beside subscriptions; api on top
LAYER = {
    "portal": 0,
    "partner_center": 1,
    "programs": 2,
    "customers": 3,
    "subscriptions": 4,
    "support": 4,
    "billing": 5,
    "api": 6,
}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    apps = [name for name in LAYER if (ROOT / name / "__init__.py").exists()]
    graph = grimp.build_graph(*apps, cache_dir=None)
    modules = {m for m in graph.modules if ".migrations" not in m}
    # cycles: strongly connected groups of files
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v) & modules:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for m in sorted(modules):
        if m not in index:
            visit(m)
    upward = [
        (a, b)
        for a in sorted(modules)
        for b in sorted(graph.find_modules_directly_imported_by(a) & modules)
        if LAYER[b.split(".")[0]] > LAYER[a.split(".")[0]]
        or (LAYER[b.split(".")[0]] == LAYER[a.split(".")[0]] and b.split(".")[0] != a.split(".")[0])
    ]
    print(f"import cycles between files: {len(groups)} over {sum(map(len, groups))} files")
    for group in groups:
        print("  ", " <-> ".join(group))
    print(f"imports against the layer order: {len(upward)}")
    for a, b in upward:
        print(f"   {a} -> {b}")
    lines = Counter()
    for app in apps:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                room = "/".join(path.relative_to(ROOT).parts[:-1])
                lines[room] += len(path.read_text().splitlines())
    total = sum(lines.values())
    room, largest = lines.most_common(1)[0]
    print(f"largest room: {room}/ with {largest} of {total} lines ({largest / total:.0%})")


if __name__ == "__main__":
    main()
