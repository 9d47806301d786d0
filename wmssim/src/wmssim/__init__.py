"""wmssim: a fleet of simulated Windows MultiPoint servers that speaks real WinRM.

See README.md (beside src/) for the layers and `wmssim --help` for the CLI.
"""
