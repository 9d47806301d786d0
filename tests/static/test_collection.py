"""The collection as users and Galaxy see it: docs render, docs match the code, lint is clean."""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = ("session_disconnect", "session_info", "session_message", "fleet_report", "fleet_report_merge")
# Every module the collection documents (end_of_day_check checks its raw arguments itself: no spec).
ALL_MODULES = (*MODULES, "end_of_day_check")
CONTROLLER_MODULES = ("fleet_report", "fleet_report_merge", "end_of_day_check")
TASK_KEYWORDS = {
    "name", "register", "when", "check_mode", "diff", "vars", "loop", "tags", "delegate_to", "run_once",
    "become", "ignore_errors", "failed_when", "changed_when", "notify", "no_log", "environment",
}
ENV = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
           PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def _doc(name: str):
    spec = importlib.util.spec_from_file_location(f"doc_{name}", REPO / "plugins" / "modules" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _rendered(name: str) -> dict:
    """The module's documentation as ansible-doc builds it (doc fragments merged)."""
    out = subprocess.run([str(BIN / "ansible-doc"), "--json", f"multipoint.wms.{name}"], capture_output=True,
                         text=True, env=ENV, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)[f"multipoint.wms.{name}"]["doc"]


def _spec(name: str) -> dict:
    from ansible_collections.multipoint.wms.plugins.plugin_utils import (
        _options,
        _report_task,
    )

    return {
        "session_disconnect": _options.DISCONNECT_SPEC,
        "session_info": _options.INFO_SPEC,
        "session_message": _options.MESSAGE_SPEC,
        "fleet_report": _report_task.REPORT_SPEC,
        "fleet_report_merge": _report_task.MERGE_SPEC,
    }[name]


@pytest.mark.parametrize("name", ALL_MODULES)
def test_ansible_doc_renders(name):
    out = subprocess.run([str(BIN / "ansible-doc"), f"multipoint.wms.{name}"], capture_output=True, text=True,
                         env=ENV, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "WARNING" not in out.stderr and "ERROR" not in out.stderr
    assert f"multipoint.wms.{name}" in out.stdout and "EXAMPLES" in out.stdout and "RETURN VALUES" in out.stdout


def test_role_doc_renders():
    out = subprocess.run([str(BIN / "ansible-doc"), "-t", "role", "multipoint.wms.end_of_day"], capture_output=True,
                         text=True, env=ENV, cwd=REPO)
    assert out.returncode == 0, out.stderr
    text = re.sub(r"\x1b\[[0-9;]*m|\*", "", out.stdout)
    for entry in ("ENTRY POINT: main", "ENTRY POINT: disconnect", "ENTRY POINT: report", "end_of_day_exclude_users"):
        assert entry in text


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_are_the_argument_spec(name):
    options = _rendered(name)["options"]
    spec = _spec(name)
    assert set(options) == set(spec)
    for key, entry in spec.items():
        doc = options[key]
        assert doc["type"] == entry["type"], key
        assert doc.get("default") == entry.get("default"), key
        assert doc.get("choices") == entry.get("choices"), key
        assert doc.get("elements") == entry.get("elements"), key
        assert bool(doc.get("required")) == bool(entry.get("required")), key
        assert doc.get("description"), key


@pytest.mark.parametrize("name", ALL_MODULES)
def test_documentation_shape(name):
    doc = yaml.safe_load(_doc(name).DOCUMENTATION)
    assert doc["module"] == name and doc["version_added"] == "0.1.0"
    attributes = _rendered(name)["attributes"]
    assert {"check_mode", "diff_mode", "platform", "action", "async", "bypass_host_loop"} <= set(attributes)
    assert all(entry.get("description") and entry.get("support") for entry in attributes.values()), attributes
    assert attributes["platform"]["platforms"] == ("posix" if name in CONTROLLER_MODULES else "windows")
    returns = yaml.safe_load(_doc(name).RETURN)
    for key, entry in returns.items():
        for field in ("description", "returned", "type", "sample"):
            assert field in entry, f"RETURN {key} has no {field}"
        for sub, sub_entry in (entry.get("contains") or {}).items():
            for field in ("description", "type", "sample"):
                assert field in sub_entry, f"RETURN {key}.{sub} has no {field}"


@pytest.mark.parametrize("name", ALL_MODULES)
def test_examples_are_yaml_with_fqcns(name):
    tasks = yaml.safe_load(_doc(name).EXAMPLES)
    assert tasks
    for task in tasks:
        actions = [k for k in task if k not in TASK_KEYWORDS]
        assert len(actions) == 1, task
        assert actions[0].count(".") == 2, f"not a FQCN: {actions[0]}"
        assert actions[0].startswith(("multipoint.wms.", "ansible.builtin."))


def test_role_argument_specs_match_defaults():
    role = REPO / "roles" / "end_of_day"
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    options = specs["main"]["options"]
    assert set(options) == set(defaults)
    for key, entry in options.items():
        assert entry["default"] == defaults[key], key
        assert key.startswith("end_of_day_")


def test_galaxy_metadata():
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert (galaxy["namespace"], galaxy["name"], galaxy["version"]) == ("multipoint", "wms", "0.1.0")
    assert "license" not in galaxy and galaxy["license_file"] == "COPYING"  # Galaxy takes one of the two
    assert "GNU GENERAL PUBLIC LICENSE" in (REPO / "COPYING").read_text() and "Version 3" in (REPO / "COPYING").read_text()
    assert re.fullmatch(r".+ \(@[\w-]+\)", galaxy["authors"][0])
    assert {"windows", "multipoint", "rds"} <= set(galaxy["tags"])
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    from ansible.module_utils.compat.version import LooseVersion
    from ansible.release import __version__

    minimum = runtime["requires_ansible"].removeprefix(">=")
    assert LooseVersion(__version__) >= LooseVersion(minimum)


def test_ansible_lint_production_profile():
    out = subprocess.run(
        [str(BIN / "ansible-lint"), "--profile", "production", "--offline"],  # the whole repository
        capture_output=True, text=True, env=ENV, cwd=REPO, timeout=600,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]


def test_changelog_fragments_lint():
    out = subprocess.run([str(BIN / "antsibull-changelog"), "lint"], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr
    out = subprocess.run([str(BIN / "antsibull-changelog"), "lint-changelog-yaml", "changelogs/changelog.yaml"],
                         capture_output=True, text=True, env=ENV, cwd=REPO)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert version in yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert f"v{version}" in (REPO / "CHANGELOG.rst").read_text()


def test_python_has_no_unused_or_undefined_names():
    out = subprocess.run([str(BIN / "ruff"), "check", "--select", "F,E9", "--output-format", "concise",
                          "plugins", "tests", "tools", "wmssim"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def test_nothing_edits_the_import_path():
    """Code is found by installation (wmssim) or by ansible's collection loader, never by editing the
    interpreter's module search path (no ``sys`` attribute ``path`` in any code, no .pth file)."""
    found = []
    for folder in ("plugins", "tests", "tools", "wmssim"):
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{path.relative_to(REPO)}:{node.lineno}" for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and node.attr == "path"
                      and isinstance(node.value, ast.Name) and node.value.id == "sys"]
    assert found == []
    assert not list((REPO / "tools").glob("*.pth"))


def test_every_supported_ansible_core_is_tested():
    """requires_ansible, the role's minimum and the versions make test runs agree (2.16 to 2.19)."""
    spec = importlib.util.spec_from_file_location("each_core", REPO / "tools" / "each_core.py")
    each_core = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(each_core)
    newest = re.search(r"(?m)^ansible-core==(\d+\.\d+)\.", (REPO / "requirements-dev.txt").read_text()).group(1)
    tested = sorted([*each_core.VERSIONS, newest], key=lambda v: tuple(map(int, v.split("."))))
    assert tested == ["2.16", "2.17", "2.18", "2.19"]
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == f">={tested[0]}.0"
    role_meta = yaml.safe_load((REPO / "roles" / "end_of_day" / "meta" / "main.yml").read_text())
    assert role_meta["galaxy_info"]["min_ansible_version"] == tested[0]
    for line, version in each_core.VERSIONS.items():
        assert version.startswith(f"{line}.")
    assert "tools/each_core.py" in (REPO / "Makefile").read_text()
