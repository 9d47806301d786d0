"""Run the unit tests and the end-to-end subset on every older supported ansible-core.

`make test` runs the full suite on the newest ansible-core (the one in .venv) and then this: one
virtualenv per older version in .venv/cores/<version>, from PyPI, with the same pins as .venv for
everything else, and in each one `pytest tests/unit tests/e2e/test_each_core.py`.

    python tools/each_core.py            # set up what is missing, then test every version
    python tools/each_core.py 2.16       # only these versions
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORES = REPO / ".venv" / "cores"
# The newest release of each older line; 2.19 is the one in .venv (requirements-dev.txt).
VERSIONS = {"2.16": "2.16.19", "2.17": "2.17.14", "2.18": "2.18.19"}
SHARED = ("pywinrm", "pyspnego", "pytest", "PyYAML", "cryptography", "jsonschema")
TESTS = ("tests/unit", "tests/e2e/test_each_core.py")


def shared_pins() -> list[str]:
    """The pins of requirements-dev.txt for what the tests need besides ansible-core."""
    pins = {}
    for line in (REPO / "requirements-dev.txt").read_text().splitlines():
        name, sep, _ = line.partition("==")
        if sep:
            pins[name.strip().lower()] = line.strip()
    return [pins[name.lower()] for name in SHARED]


def setup(line: str) -> Path:
    """The virtualenv of one ansible-core line, made when missing or when its pins changed."""
    venv = CORES / line
    wanted = "\n".join([f"ansible-core=={VERSIONS[line]}", *shared_pins()]) + "\n"
    stamp = venv / ".pins"
    if stamp.exists() and stamp.read_text() == wanted:
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *wanted.split(), "--editable", str(REPO / "wmssim")], check=True)
    stamp.write_text(wanted)
    return venv


def main(argv: list[str]) -> int:
    lines = argv or list(VERSIONS)
    unknown = [line for line in lines if line not in VERSIONS]
    if unknown:
        print(f"unknown ansible-core line(s) {unknown}; known: {list(VERSIONS)}", file=sys.stderr)
        return 2
    failed = []
    for line in lines:
        venv = setup(line)
        print(f"== ansible-core {VERSIONS[line]}: {' '.join(TESTS)}", flush=True)
        began = time.monotonic()
        rc = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
                            cwd=REPO, check=False).returncode
        print(f"== ansible-core {VERSIONS[line]}: exit code {rc} in {time.monotonic() - began:.0f} s", flush=True)
        if rc != 0:
            failed.append(line)
    if failed:
        print(f"failed on ansible-core {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
