"""The built tarball: what it holds, what Galaxy's importer and antsibull-docs say of it, the
execution environment it declares, and a run of its shipped playbook from a read-only install."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import yaml
from wmssim.fleet.running import RunningFleet

from ansible_collections.multipoint.wms.tests.publish.conftest import BIN, REPO, tool_env

# What the tarball may hold: the collection, its docs, and the tests ansible-test runs.
SHIPPED = re.compile(r"""
    (MANIFEST\.json|FILES\.json|README\.md|COPYING|CHANGELOG\.rst|requirements\.txt)
  | changelogs/(changelog\.yaml|config\.yaml|fragments/(\.keep|[\w.-]+\.yml))
  | docs/[\w.-]+\.(md|json|yml|png)
  | meta/(runtime|execution-environment)\.yml
  | playbooks/([\w-]+\.yml|(inventories|vars)/[\w-]+\.yml|templates/[\w.-]+\.j2)
  | plugins/(action|modules|doc_fragments)/[a-z_]+\.py
  | plugins/plugin_utils/(_[a-z_]+\.py|wms_(agent|bootstrap)\.ps1)
  | roles/end_of_day/(README\.md|(defaults|meta|tasks|vars)/[\w-]+\.yml)
  | tests/unit/([\w/-]+\.py|requirements\.txt)
  | tests/integration/targets/[\w/.-]+(\.(yml|md|j2)|/aliases)
  | tests/sanity/ignore-[\d.]+\.txt
""", re.VERBOSE)
FLEET = """
defaults:
  sessions:
    - {id: 2, user: alice, domain: LAB, station: 1, state: Active}
    - {id: 3, user: teacher, domain: LAB, station: 2, admin: true, state: Active}
hosts:
  - {name: mp2012, generation: "2012"}
  - {name: mp2016, generation: "2016", auth: ntlm}
  - {name: rds, generation: "none"}
"""
FLEET_HOSTS = ("mp2012", "mp2016", "rds")
NEVER = ("reports", ".plugin-cache.yaml", "__pycache__", ".pyc", "wmssim", "tools/", ".venv", "tests/e2e",
         "tests/output")


def _members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tar:
        return [m.name for m in tar.getmembers() if m.isfile()]


def test_tarball_holds_the_collection_its_docs_and_ansible_tests_only(tarball):
    names = _members(tarball)
    unexpected = [n for n in names if not SHIPPED.fullmatch(n) or any(bad in n for bad in NEVER)]
    assert unexpected == []
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=REPO, check=True).stdout.split()
    lost = [f for f in tracked if SHIPPED.fullmatch(f) and (REPO / f).exists() and f not in names]
    assert lost == [], "tracked files the tarball should hold but does not"
    for needed in ("plugins/plugin_utils/wms_agent.ps1", "roles/end_of_day/README.md", "COPYING", "CHANGELOG.rst",
                   "changelogs/changelog.yaml", "meta/execution-environment.yml", "tests/unit/harness.py",
                   "tests/integration/targets/session_info/tasks/main.yml"):
        assert needed in names


def test_shipped_tests_import_only_what_is_shipped(unpacked):
    """The unit tests must run from the tarball: no import of tools/, wmssim or the repo-only tests."""
    for path in (unpacked / "tests").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("import tools", "from tools", "wmssim", "tests.e2e", "tests.static", "tests.pscheck",
                          "tests.contract", "tests.publish", "tests/data"):
            assert forbidden not in text, f"{path.relative_to(unpacked)} uses {forbidden}"


def test_galaxy_importer_accepts_the_tarball(tarball, tmp_path):
    """Galaxy's own importer (ansible-doc, ansible-lint, metadata, role and collection READMEs, changelog)."""
    shutil.copy(tarball, tmp_path)
    out = subprocess.run([str(BIN / "python"), "-m", "galaxy_importer.main", tarball.name], capture_output=True,
                         text=True, cwd=tmp_path, env=tool_env(), timeout=900, check=False)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-5000:]
    assert "Importer processing completed successfully" in log
    problems = [line for line in log.splitlines() if line.startswith(("ERROR", "WARNING"))]
    assert problems == []
    result = json.loads((tmp_path / "importer_result.json").read_text())
    contents = {(c["content_type"], c["name"]) for c in result["contents"]}
    assert {("module", "session_disconnect"), ("role", "end_of_day"), ("playbook", "end_of_day.yml")} <= contents
    assert result["docs_blob"]["collection_readme"]["html"]


def test_antsibull_docs_lint_accepts_the_documentation(unpacked):
    out = subprocess.run([str(BIN / "antsibull-docs"), "lint-collection-docs", "--plugin-docs",
                          "--validate-collection-refs", "self", str(unpacked)],
                         capture_output=True, text=True, env=tool_env(), timeout=600, check=False)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr[-3000:]


def test_execution_environment_names_pywinrm(tarball, tmp_path):
    """ansible-builder introspect of the installed collection finds what meta/execution-environment.yml lists."""
    target = tmp_path / "collections"
    out = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-p", str(target), str(tarball)],
                         capture_output=True, text=True, env=tool_env(), cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([str(BIN / "ansible-builder"), "introspect", str(target)], capture_output=True, text=True,
                         env=tool_env(), check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    listed = yaml.safe_load(out.stdout.split("\n", 1)[1])
    python = {line.split("#")[0].strip(): line.split("#")[1].strip() for line in listed["python"]}
    assert python == {"pywinrm>=0.4.3": "from collection multipoint.wms",
                      "requests-ntlm>=1.1.0": "from collection multipoint.wms",
                      "pyspnego>=0.8.0": "from collection multipoint.wms",
                      "cryptography>=3.3": "from collection multipoint.wms"}, out.stdout
    assert listed["system"] == []


def test_readme_execution_environment_builds_a_context(tarball, tmp_path):
    """``ansible-builder create`` on the definition the README shows, with the collection from the tarball."""
    definition = yaml.safe_load((REPO / "docs" / "execution-environment.yml").read_text())
    readme = (REPO / "README.md").read_text()
    assert "docs/execution-environment.yml" in readme
    shutil.copy(tarball, tmp_path)
    definition["additional_build_files"] = [{"src": tarball.name, "dest": "collections"}]
    (tmp_path / "requirements.yml").write_text(yaml.safe_dump(
        {"collections": [{"name": f"_build/collections/{tarball.name}", "type": "file"}]}))
    definition["dependencies"]["galaxy"] = "requirements.yml"
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition))
    out = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml",
                          "--context", "context", "--output-filename", "Containerfile"],
                         capture_output=True, text=True, cwd=tmp_path, env=tool_env(), check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "introspect" in containerfile and "ansible-galaxy collection install" in containerfile
    assert (tmp_path / "context" / "_build" / "collections" / tarball.name).is_file()


def _read_only(install: Path) -> list[str]:
    """A command prefix under which the running user cannot write ``install``.

    Its files lose their write bits, which stops any user but root. Root ignores them, so for root
    the command runs in a mount namespace of its own where ``install`` is mounted read-only.
    """
    for path in [install, *install.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if os.geteuid() != 0:
        return []
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(install)]


def test_installed_read_only_collection_runs_its_playbook_and_reports_in_cwd(tarball, tmp_path):
    """Install into a folder the user cannot write; run the shipped end_of_day.yml from there; the report
    goes to reports/ in the directory ansible-playbook runs in, as the README says."""
    install = tmp_path / "install"
    out = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-p", str(install), str(tarball)],
                         capture_output=True, text=True, env=tool_env(), cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (install / "ansible_collections" / "multipoint" / "wms" / "MANIFEST.json").is_file(), out.stdout
    prefix = _read_only(install)
    probe = subprocess.run([*prefix, "touch", str(install / "probe")], capture_output=True, text=True, check=False)
    assert probe.returncode != 0 and not (install / "probe").exists(), "could not make the install read-only"
    work = tmp_path / "evening"
    work.mkdir()
    fleet = RunningFleet(tmp_path / "fleet", FLEET).start()
    try:
        inventory = work / "inventory.yml"
        shutil.copy(fleet.inventory, inventory)
        inventory.chmod(0o644)
        _run_installed(prefix, install, work, tmp_path / "home")
    finally:
        fleet.stop()
        for path in [install, *install.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)  # let pytest remove it


def _run_installed(prefix: list[str], install: Path, work: Path, home: Path) -> None:
    """As the README's installation section says: the rehearsal by name, then the evening job."""
    playbook = install / "ansible_collections" / "multipoint" / "wms" / "playbooks" / "end_of_day.yml"
    env = tool_env(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(install))
    for book, kind in (("multipoint.wms.rehearse", "check"), (str(playbook), "real")):
        out = subprocess.run([*prefix, str(BIN / "ansible-playbook"), "-i", "inventory.yml", book,
                              "-e", "end_of_day_grace_seconds=0"],
                             capture_output=True, text=True, cwd=work, env=env, timeout=600, check=False)
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-3000:]
        names = sorted(p.name for p in (work / "reports").glob("end-of-day-*.json"))
        reports = [n for n in names if n.endswith("-check.json") == (kind == "check")]
        assert len(reports) == 1, (names, out.stdout[-3000:])
        report = json.loads((work / "reports" / reports[0]).read_text())
        assert sorted(report["hosts"]) == sorted(FLEET_HOSTS)
        assert {h["status"] for h in report["hosts"].values()} == {"changed"}
    assert not list(install.rglob("reports"))
    readme = (REPO / "README.md").read_text()
    assert "ansible-playbook -i inventory.yml multipoint.wms.rehearse" in readme and "`reports/`" in readme


def _anchor(title: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_readme_links_work_on_galaxy_too(tarball):
    """Galaxy shows the README from the tarball: every link is absolute, an anchor of the README,
    or a file the tarball holds."""
    names = set(_members(tarball))
    for readme_name in ("README.md", "roles/end_of_day/README.md"):
        readme = (REPO / readme_name).read_text()
        anchors = {_anchor(h) for h in re.findall(r"(?m)^#+ (.+)$", readme)}
        for target in re.findall(r"\]\(([^)\s]+)\)", readme):
            if target.startswith("https://"):
                continue
            if target.startswith("#"):
                assert target[1:] in anchors, f"{readme_name}: no heading for {target}"
                continue
            path = str((Path(readme_name).parent / target).as_posix()).removeprefix("./")
            assert path in names, f"{readme_name}: {target} is not in the tarball"


def test_readme_sections_put_use_first_and_development_last():
    headings = re.findall(r"(?m)^## (.+)$", (REPO / "README.md").read_text())
    assert headings.index("Installation") < 2 and headings[-1] == "Development"


def test_readme_shows_the_shipped_execution_environment_definition():
    readme = (REPO / "README.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    shipped = yaml.safe_load((REPO / "docs" / "execution-environment.yml").read_text())
    assert shipped in blocks
