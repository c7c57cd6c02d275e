"""The package's shape: one floor per layer, every import pointing down, no circle, a public-only root.

Read from the source (AST), so a lazy import inside a function counts as much as one at the top.
The floors are ARCHITECTURE.md's, bottom to top.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "leuko_keras"
FLOORS = (
    "core", "runtime", "protocol", "synth", "data", "layers", "models", "runs",
    "training", "deploy", "predict", "evaluation", "workflows", "cli",
)  # fmt: skip
ROOT_MODULES = {"__init__.py", "__main__.py", "errors.py", "_registration.py"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            edges[name].update(t for t in targets if t in modules and t != name)
    return edges


def _floor(module: str) -> int | None:
    parts = module.split(".")
    return FLOORS.index(parts[1]) if len(parts) > 1 and parts[1] in FLOORS else None


def test_every_import_points_down_or_sideways():
    upward = [
        f"{a} -> {b}"
        for a, targets in _imports().items()
        for b in targets
        if _floor(a) is not None and _floor(b) is not None and _floor(b) > _floor(a)
    ]
    assert upward == []


def test_no_import_circle():
    edges = _imports()
    seen: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        seen[node] = 1
        for nxt in sorted(edges.get(node, ())):
            # A package's __init__ re-exporting its own modules is not a circle of concepts.
            if node.startswith(nxt + ".") or nxt.startswith(node + "."):
                continue
            if seen.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in seen and (found := visit(nxt, [*path, node])):
                return found
        seen[node] = 2
        return None

    for module in sorted(edges):
        if module not in seen and (circle := visit(module, [])):
            raise AssertionError("import circle: " + " -> ".join(circle))


def test_the_root_holds_only_the_public_modules():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ROOT_MODULES)
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert loose == []
    assert set(folders) == set(FLOORS)


def test_old_import_paths_still_work_for_one_release():
    import importlib
    import warnings

    import leuko_keras

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module("leuko_keras.color")
    assert old is importlib.import_module("leuko_keras.runtime.color")
    assert old.__spec__.name == "leuko_keras.runtime.color"
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert set(leuko_keras.MOVED) >= {"leuko_keras.color", "leuko_keras.imresize", "leuko_keras.presets"}


def test_no_long_function_outside_the_cli_and_no_long_module():
    long_functions, long_modules = [], []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 400:
            long_modules.append(str(path.relative_to(PACKAGE)))
        if path.parent.name == "cli":
            continue  # typer commands declare their options as parameters
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 80:
                long_functions.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert long_functions == [] and long_modules == []
