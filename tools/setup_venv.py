"""Finish a fresh .venv: make the checkout visible to ansible as the collection multipoint.wms.

Run by `make setup` with the venv's own Python, after the requirements are installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"


def main() -> int:
    if sys.version_info < (3, 11):
        print("multipoint.wms needs Python 3.11 or later on the controller", file=sys.stderr)
        return 1
    collections = VENV / "collections"
    link = collections / "ansible_collections" / "multipoint" / "wms"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    # Relative link: .venv/collections/ansible_collections/multipoint/wms -> the repo root.
    link.symlink_to(os.path.relpath(REPO, link.parent), target_is_directory=True)
    print(f"linked {link.relative_to(REPO)} -> repo root")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
