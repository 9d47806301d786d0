"""Parameters of every MultiPoint cmdlet, per generation, as Microsoft documents them.

The syntax lines come from ``tests/data/reference/cmdlet-syntax-2012.txt`` and
``cmdlet-syntax-2016.txt``, copied from Microsoft's documentation (each file names its source:
docsets ``winserver2012r2-ps/multipoint`` and ``winserver2016-ps/MultiPoint`` of
MicrosoftDocs/windows-powershell-docs). ``parse_syntax`` turns them into parameter sets, the
unit a PowerShell call must fit: every parameter it names in one set, every mandatory parameter
of that set given.

Reading the documented syntax: ``-Name <T>`` and ``[-Name] <T>`` are mandatory (the second is
also positional), ``[-Name <T>]`` is optional, ``[-Name]`` is an optional switch. One exception is
applied on top: in the 2016 module ``-All`` is mandatory in its parameter set (documented for
Get-WmsSession; the *All sets of the other cmdlets exist only for it, so they are read the same
way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

GENERATIONS = ("2012", "2016")
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"

# Common parameters of Windows PowerShell 3.0 (PipelineVariable came with 4.0, Information*
# with 5.0, so the agent may not use them). -WhatIf and -Confirm are not here: a cmdlet has
# them only where its syntax lists them.
COMMON_PARAMETERS = frozenset(
    {"Verbose", "Debug", "ErrorAction", "WarningAction", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer"}
)

@dataclass(frozen=True)
class Parameter:
    """One parameter of one parameter set."""

    name: str
    switch: bool
    mandatory: bool
    positional: bool


@dataclass
class ParameterSet:
    """One documented syntax line of a cmdlet."""

    name: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def get(self, name: str) -> Parameter | None:
        """The parameter called ``name`` (PowerShell names are case-insensitive)."""
        for key, parameter in self.parameters.items():
            if key.lower() == name.lower():
                return parameter
        return None

    def mandatory(self) -> set[str]:
        """Names of the parameters a call of this set must give."""
        return {p.name for p in self.parameters.values() if p.mandatory}


_LINE = re.compile(r"^\[(?P<set>[^\]]+)\] (?P<cmdlet>[A-Za-z]+-Wms[A-Za-z]+)(?P<rest>.*)$")
# [-Name] <T> | [-Name <T>] | [-Name] | -Name <T> | [[-Name] <T>] (optional positional)
_TOKEN = re.compile(
    r"\[\[-(?P<oppos>\w+)\] <[^>]+>\]"
    r"|\[-(?P<pos>\w+)\] <[^>]+>"
    r"|\[-(?P<opt>\w+) <[^>]+>\]"
    r"|\[-(?P<switch>\w+)\]"
    r"|-(?P<req>\w+) <[^>]+>"
    r"|\[<CommonParameters>\]"
)


def parse_syntax(text: str, generation: str) -> dict[str, list[ParameterSet]]:
    """Parameter sets by cmdlet name from documented syntax lines."""
    cmdlets: dict[str, list[ParameterSet]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"not a syntax line: {line!r}")
        pset = ParameterSet(match["set"])
        rest = match["rest"].strip()
        while rest:
            token = _TOKEN.match(rest)
            if token is None:
                raise ValueError(f"cannot read {rest!r} in {line!r}")
            rest = rest[token.end():].strip()
            if token["oppos"]:
                name, switch, mandatory, positional = token["oppos"], False, False, True
            elif token["pos"]:
                name, switch, mandatory, positional = token["pos"], False, True, True
            elif token["opt"]:
                name, switch, mandatory, positional = token["opt"], False, False, False
            elif token["switch"]:
                name, switch, mandatory, positional = token["switch"], True, False, False
            elif token["req"]:
                name, switch, mandatory, positional = token["req"], False, True, False
            else:
                continue  # [<CommonParameters>]
            if generation == "2016" and name == "All" and pset.name.endswith("All"):
                mandatory = True
            pset.parameters[name] = Parameter(name, switch, mandatory, positional)
        cmdlets.setdefault(match["cmdlet"], []).append(pset)
    return cmdlets


def documented_syntax(generation: str) -> str:
    """The syntax lines of one generation's reference file (the lines that start with ``[set]``)."""
    text = (REFERENCE / f"cmdlet-syntax-{generation}.txt").read_text(encoding="utf-8")
    return "\n".join(line.strip() for line in text.splitlines() if line.startswith("  ["))


@cache
def cmdlet_tables() -> dict[str, dict[str, list[ParameterSet]]]:
    """``{generation: {cmdlet: [parameter sets]}}`` for both MultiPoint generations."""
    return {generation: parse_syntax(documented_syntax(generation), generation) for generation in GENERATIONS}


def find_cmdlet(table: dict[str, list[ParameterSet]], name: str) -> list[ParameterSet] | None:
    """The parameter sets of cmdlet ``name`` (case-insensitive), or None when it does not exist."""
    for key, sets in table.items():
        if key.lower() == name.lower():
            return sets
    return None
