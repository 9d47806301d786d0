"""What may import what (docs/architecture.md): each rule of the table, checked on the sources."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UTILS = REPO / "plugins" / "plugin_utils"
PREFIX = "ansible_collections.multipoint.wms."


def imports(path: Path) -> set[str]:
    """Every module name a file imports (absolute names only; relative imports as '.name')."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def utils_imported(path: Path) -> set[str]:
    return {name.rsplit(".", 1)[1] for name in imports(path) if name.startswith(PREFIX + "plugins.plugin_utils.")}


def test_action_plugins_import_the_base_and_one_task():
    for path in (REPO / "plugins" / "action").glob("*.py"):
        used = utils_imported(path)
        assert "_action_base" in used and len(used) == 2, (path.name, used)
        assert used - {"_action_base"} <= {"_session_tasks", "_report_task", "_role_check"}, path.name


def test_the_contract_modules_import_nothing_of_the_collection():
    for name in ("_protocol.py", "_outcomes.py"):
        assert not [i for i in imports(UTILS / name) if i.startswith(PREFIX)], name


def test_nothing_below_the_task_modules_imports_them():
    for path in UTILS.glob("_*.py"):
        if path.stem in ("_session_tasks", "_report_task", "_role_check"):
            continue
        assert not utils_imported(path) & {"_session_tasks", "_report_task", "_role_check", "_action_base"}, path.name


def test_tests_and_tools_do_not_import_each_other():
    tool_modules = {p.stem for p in (REPO / "tools").glob("*.py")}
    for path in (REPO / "tests").rglob("*.py"):
        names = imports(path)
        assert not [n for n in names if n.split(".")[0] in tool_modules | {"tools"}], path
    for path in (REPO / "tools").glob("*.py"):
        assert not [n for n in imports(path) if n.split(".")[0] == "tests" or ".tests." in n], path


def test_the_simulator_never_reaches_into_the_collection():
    for path in (REPO / "wmssim").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "ansible_collections" not in text, path
        assert "plugin_utils" not in text and "../plugins" not in text, path
