"""wmssim: a fleet of simulated Windows MultiPoint servers that speaks real WinRM.

See docs/simulator-design.md for the layers and `python -m wmssim --help` for the CLI.
"""
