"""``ansible-test sanity`` and ``ansible-test units`` (this venv's ansible-core, Python 3.11) on the
built collection, as a maintainer runs them.

They run on the tarball's content, so they check what is shipped (and nothing that is not, such as
wmssim or tools/). ``--venv``: ansible-test makes its own virtualenvs (one per sanity test) and puts
pip into each with a "get-pip" script it downloads from ci-files.testing.ansible.com, which is not PyPI. Here that script
is a few lines that install pip from the wheel on PyPI (``PIP_SHIM``); everything else comes from
PyPI as usual. ansible-test's home (its virtualenvs and cache) is ``.venv/ansible-test-home``, so a
second run reuses the virtualenvs and ``make clean`` removes them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ansible_collections.multipoint.wms.tests.publish.conftest import BIN, REPO, tool_env

HOME = REPO / ".venv" / "ansible-test-home"

# Sanity tests that cannot run here, and why. Every other test must run and pass.
CANNOT_RUN = {
    "pslint": "needs pwsh (PowerShell 7, for PSScriptAnalyzer); no machine here has PowerShell",
}
MUST_RUN = {
    "action-plugin-docs", "ansible-doc", "changelog", "compile", "import", "pep8", "pylint",
    "runtime-metadata", "validate-modules", "yamllint", "no-smart-quotes", "shebang", "symlinks",
}

PIP_SHIM = '''\
"""Stands in for get-pip.py: installs pip from the wheel beside this file (downloaded from PyPI).
A pip wheel runs as a program from inside itself: python pip-X-py3-none-any.whl/pip install ..."""
import glob
import os
import subprocess
import sys

wheel = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-{version}-*.whl"))[0]
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, os.path.join(wheel, "pip"), "install", "--upgrade", "--force-reinstall",
                          *args]))
'''


def _pip_version() -> str:
    """The pip version ansible-test puts into its virtualenvs (pinned in its source)."""
    import ansible_test

    source = (Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
    return re.search(r"pip='([0-9.]+)'", source).group(1)


def _prepare_home() -> None:
    version = _pip_version()
    cache = HOME / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    if not list(cache.glob(f"pip-{version}-*.whl")):
        out = subprocess.run([str(BIN / "python"), "-m", "pip", "download", "--quiet", "--no-deps",
                              "--only-binary", ":all:", "--dest", str(cache), f"pip=={version}"],
                             capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
    (cache / f"get_pip_{version.replace('.', '_')}.py").write_text(PIP_SHIM.format(version=version))


def _ansible_test(command: str, unpacked: Path, timeout: int) -> subprocess.CompletedProcess:
    """``ansible-test <command>`` in its own virtualenvs (Python 3.11) on the unpacked tarball."""
    _prepare_home()
    return subprocess.run([str(BIN / "ansible-test"), command, "--venv", "--python", "3.11", "--color", "no"],
                          capture_output=True, text=True, cwd=unpacked, env=tool_env(HOME=str(HOME)),
                          timeout=timeout, check=False)


def test_sanity_passes_on_the_built_collection(unpacked):
    out = _ansible_test("sanity", unpacked, timeout=1800)
    log = out.stdout + out.stderr
    ran = set(re.findall(r'Running sanity test "([^"]+)"', log))
    errors = [line for line in log.splitlines() if line.startswith("ERROR")]
    assert out.returncode == 0 and not errors, "\n".join(errors) or log[-6000:]
    assert MUST_RUN <= ran, f"did not run: {sorted(MUST_RUN - ran)}"
    missing_programs = set(re.findall(r'WARNING: Required program "([^"]+)" not found', log))
    assert missing_programs <= {"pwsh"}, missing_programs
    assert set(CANNOT_RUN) <= ran  # attempted, and skipped with the warning above


def test_no_sanity_test_is_ignored():
    """Nothing needs an ignore file; one that appears must say why on every line (Galaxy warns about it)."""
    for ignore in (REPO / "tests" / "sanity").glob("ignore-*.txt"):
        for line in ignore.read_text().splitlines():
            assert "#" in line and line.split("#", 1)[1].strip(), f"{ignore.name}: no reason given: {line}"


def test_units_pass_under_ansible_test(unpacked):
    """The shipped unit tests run where ansible-test puts them (its pytest plugins, its collection loader)."""
    out = _ansible_test("units", unpacked, timeout=1200)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-6000:]
    summary = re.search(r"(?m)^=+ (.*) in [\d.]+s", log).group(1)  # e.g. "166 passed"
    assert re.fullmatch(r"\d+ passed", summary) and int(summary.split()[0]) >= 100, summary
