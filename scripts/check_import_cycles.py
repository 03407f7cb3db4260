"""Fail when any two modules of the given packages import each other, directly or through
others (a strongly connected component of the module import graph, function-level imports
included). import-linter's contracts check layers between apps; this checks every module.

Usage: python scripts/check_import_cycles.py donhang emulators
"""

from __future__ import annotations

import sys

import grimp


def import_cycles(graph, modules) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in modules:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def main(packages: list[str]) -> int:
    graph = grimp.build_graph(*packages, include_external_packages=False, cache_dir=None)
    cycles = import_cycles(graph, set(graph.modules))
    for component in cycles:
        print("Import cycle between:", " ↔ ".join(component))
        for module in component:
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if imported in component:
                    details = graph.get_import_details(importer=module, imported=imported)
                    lines = ", ".join(f"l.{d['line_number']}" for d in details)
                    print(f"  {module} -> {imported} ({lines})")
    if cycles:
        print(f"{len(cycles)} import cycle(s) found.")
        return 1
    print("No import cycles.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["donhang", "emulators"]))
