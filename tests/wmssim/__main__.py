"""``python -m wmssim``: see ``cli.py`` or run ``python -m wmssim --help``."""

from .cli import main

raise SystemExit(main())
