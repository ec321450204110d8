"""No module of Huifang imports itself through others, deferred imports included.

import-linter's contracts keep the floors in order and each area free of cycles
(pyproject.toml); the areas of the domain floor import one another, so a cycle running
through two of them is refused here, on the same import graph (grimp)."""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    modules = sorted(graph.modules)
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            module, position = work.pop()
            if position == 0:
                index[module] = low[module] = len(index)
                stack.append(module)
                on_stack.add(module)
            for offset, imported in enumerate(imports[module][position:], start=position):
                if imported not in index:
                    work.append((module, offset + 1))
                    work.append((imported, 0))
                    break
                if imported in on_stack:
                    low[module] = min(low[module], index[imported])
            else:
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
    return groups


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(grimp.build_graph("huifang")) == []


def test_a_cycle_would_be_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c", "d"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    assert _cycles(graph) == [["a", "b", "c"]]
