"""PowerShell errors as CLIXML on stderr, as powershell.exe writes them when stderr is redirected.

The shape follows recordings from Windows (for example the stderr in pywinrm's
``test_decode_clixml_error``), which ansible's winrm plugin decodes with ``_parse_clixml``::

    #< CLIXML\\r\\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
    <S S="Error">fake : The term 'fake' is not recognized ... Check _x000D__x000A_</S>
    <S S="Error">the spelling of the name, ... try again._x000D__x000A_</S>
    <S S="Error">At line:1 char:1_x000D__x000A_</S> ... <S S="Error"> _x000D__x000A_</S></Objs>

(all on one line). Every line of an error's text, as Windows PowerShell 5.1 shows it (its
"NormalView"), is one ``<S S="Error">`` element ending in ``_x000D__x000A_``; long lines are
wrapped at the console's width of 120 columns, as in the recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import PSError

HEADER = "#< CLIXML\r\n"
NAMESPACE = "http://schemas.microsoft.com/powershell/2004/04"
CONSOLE_WIDTH = 120  # a wrapped line, trailing space included, stays below this
_ESCAPED_LOOKALIKE = re.compile(r"x[0-9A-Fa-f]{4}_")
_CHUNKS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Position:
    """Where an error happened in the script: the ``At line:N char:M`` part and its underline."""

    line_number: int
    column: int  # 1-based column where the failing extent starts
    line_text: str  # the whole line of the script
    length: int  # length of the failing extent


def escape(text: str) -> str:
    """A string as PowerShell's serializer writes it into CLIXML."""
    out: list[str] = []
    for index, char in enumerate(text):
        code = ord(char)
        if char == "&":
            out.append("&amp;")
        elif char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "_" and _ESCAPED_LOOKALIKE.match(text, index + 1):
            out.append("_x005F_")  # a literal "_xHHHH_" must not read as an escape
        elif code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"_x{0xD800 + high:04X}__x{0xDC00 + low:04X}_")
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"_x{code:04X}_")
        else:
            out.append(char)
    return "".join(out)


def wrap(line: str, width: int = CONSOLE_WIDTH) -> list[str]:
    """Cut a line at word ends so that each piece (trailing space included) is below ``width``;
    a word longer than a line is cut where the line is full."""
    limit = width - 1
    pieces: list[str] = []
    current = ""
    for chunk in _CHUNKS.findall(line):
        if current and len(current) + len(chunk) > limit and len(chunk) <= limit:
            pieces.append(current)
            current = ""
        current += chunk
        while len(current) > limit:
            pieces.append(current[:limit])
            current = current[limit:]
    pieces.append(current)
    return pieces


def _target_type(value: object) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Int32"
    return "String" if isinstance(value, str) else type(value).__name__


def error_view(
    error: PSError, position: Position | None = None, command: str | None = None, *, parse_error: bool = False
) -> list[str]:
    """The lines PowerShell 5.1 prints for an error record (before wrapping).

    A runtime error starts with ``<command> : <message>`` and then its position; a parse error
    (``parse_error``) starts with its position and puts the message after it.
    """
    head = [f"{command} : {error.message}" if command else error.message]
    where: list[str] = []
    if position is not None:
        where.append(f"At line:{position.line_number} char:{position.column}")
        where.append(f"+ {position.line_text}")
        where.append("+ " + " " * (position.column - 1) + "~" * max(position.length, 1))
    lines = where + head if parse_error else head + where
    target = "" if error.target is None else str(error.target)
    target_type = "" if error.target is None else _target_type(error.target)
    lines.append(
        f"    + CategoryInfo          : {error.category}: ({target}:{target_type}) "
        f"[{error.activity}], {error.reason}"
    )
    lines.append(f"    + FullyQualifiedErrorId : {error.fqid or error.reason}")
    lines.append(" ")
    return lines


def encode_errors(views: list[list[str]]) -> bytes:
    """stderr for a run that wrote these errors: one CLIXML document (UTF-8, code page 65001)."""
    parts = [HEADER, f'<Objs Version="1.1.0.1" xmlns="{NAMESPACE}">']
    for view in views:
        for line in view:
            for piece in wrap(line):
                parts.append(f'<S S="Error">{escape(piece + chr(13) + chr(10))}</S>')
    parts.append("</Objs>")
    return "".join(parts).encode("utf-8")
