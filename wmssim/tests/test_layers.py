"""The three layers stay apart: the wire and the host never import each other (README, "Layers")."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "wmssim"
# What each part of the package may import from the rest of it.
ALLOWED = {
    "spec": set(),
    "process": set(),
    "wire": {"wire", "spec", "process"},
    "host": {"host", "spec", "process"},
    "fleet": {"fleet", "wire", "host", "spec", "process"},
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_parts(path: Path, source: str | None = None) -> set[str]:
    """The parts of wmssim a module imports (relative imports resolved against its own folder)."""
    here = path.relative_to(PACKAGE).parent.parts
    found = set()
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - (node.level - 1)])
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [alias.name] for alias in node.names] if not target else [target]
            elif node.module and node.module.split(".")[0] == "wmssim":
                names = [node.module.split(".")[1:]]
            else:
                continue
            found.update(name[0] for name in names if name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "wmssim" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_each_layer_imports_only_what_it_may():
    problems = []
    modules = [p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")
               and "callback_plugins" not in p.parts]
    assert len(modules) > 15
    for path in modules:
        part = _part(path)
        for imported in _imported_parts(path) - ALLOWED[part]:
            problems.append(f"{path.relative_to(PACKAGE)} ({part}) imports {imported}")
    assert problems == []


def test_the_check_sees_a_forbidden_import():
    assert _imported_parts(PACKAGE / "wire" / "server.py") >= {"wire", "spec"}
    # What a wire module would name if it imported the host layer, relatively or by full name.
    in_wire = PACKAGE / "wire" / "server.py"
    assert _imported_parts(in_wire, "from ..host import model\n") == {"host"}
    assert _imported_parts(in_wire, "from wmssim.host.powershell import start_process\n") == {"host"}
    assert _imported_parts(in_wire, "from . import wsman\n") == {"wire"}
