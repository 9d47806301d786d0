"""``python -m wmssim``: see ``cli.py`` or run ``python -m wmssim --help``."""

from .fleet.cli import main

raise SystemExit(main())
