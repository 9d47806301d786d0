"""The built collection as users and Galaxy get it: one tarball per test session, built from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for ansible's command line tools: this venv first, no colour, no repo ansible.cfg."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("ANSIBLE_CONFIG", None)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def tarball(tmp_path_factory) -> Path:
    """``ansible-galaxy collection build`` of the checkout."""
    out_dir = tmp_path_factory.mktemp("build")
    out = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out_dir)],
                         capture_output=True, text=True, env=tool_env(), cwd=REPO, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    (built,) = out_dir.glob("multipoint-wms-*.tar.gz")
    return built


@pytest.fixture(scope="session")
def unpacked(tarball, tmp_path_factory) -> Path:
    """The tarball's content in an ``ansible_collections/multipoint/wms`` tree (where ansible-test wants it)."""
    root = tmp_path_factory.mktemp("unpacked") / "ansible_collections" / "multipoint" / "wms"
    root.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="data")
    return root
