"""Tests that import the collection's Python load it through ansible's own plugin loader."""

from __future__ import annotations

from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

REPO = Path(__file__).resolve().parent.parent
init_plugin_loader([str(REPO / ".venv" / "collections")])
