"""A tiny interpreter for one-line cmdlet calls, so a naive playbook using ``ansible.builtin.raw``
works against wmssim as a baseline.

It understands statements separated by ``;`` or new lines, pipelines of commands, parameters
(``-Name value``, ``-Switch``, ``-Switch:$false``, unique prefixes), comma lists, numbers,
quoted strings and ``$true``/``$false``/``$null``. Commands: the host's MultiPoint cmdlets
(``Get-WmsSession``, ``Disconnect-WmsSession``, ``Close-WmsSession`` of its generation),
``Import-Module``, ``Write-Output``/``echo``, ``Write-Host``, ``ConvertTo-Json`` (Windows
PowerShell 5.1: enums as numbers, one object not wrapped in an array, ``-Depth`` 2 by default,
``-Compress``) and ``Format-List``. Output is shown the way ``Out-Default`` shows it (objects
with many properties as a list).

Errors follow PowerShell: parameter binding (``NamedParameterNotFound`` and friends) and
``CommandNotFoundException`` end the statement, the script goes on with the next one, and the
exit code is 1 when the last statement failed. Anything this interpreter does not understand is
an error too (``WmssimNotInterpreted`` / ``WmssimNotSimulated``), never a silent success.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from . import cmdlets
from .clixml import Position, error_view
from .cmdlets import Command, Parameter, PSEnum, PSObject, Runspace
from .errors import PSError

PARSE_EXCEPTION = "System.Management.Automation.ParseException"
BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"
COMMAND_NOT_FOUND = "System.Management.Automation.CommandNotFoundException"
INVALID_OPERATION = "System.Management.Automation.PSInvalidOperationException"
NOT_SUPPORTED = "System.NotSupportedException"
ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend")
COMMON_ALIASES = {
    "vb": "Verbose", "db": "Debug", "ea": "ErrorAction", "wa": "WarningAction", "ev": "ErrorVariable",
    "wv": "WarningVariable", "ov": "OutVariable", "ob": "OutBuffer", "infa": "InformationAction",
    "iv": "InformationVariable", "pv": "PipelineVariable", "wi": "WhatIf", "cf": "Confirm",
}
COMMON_TYPES = {"Verbose": "switch", "Debug": "switch", "WhatIf": "switch", "Confirm": "switch",
                "ErrorAction": "System.Management.Automation.ActionPreference"}
# Real commands and programs a playbook might try that wmssim does not simulate.
NOT_SIMULATED_COMMANDS = {
    name.lower() for name in (
        "Get-Command Get-Module Select-Object Where-Object ForEach-Object Sort-Object Format-Table "
        "Out-String Out-Null ConvertFrom-Json Write-Error Write-Verbose Get-Process Stop-Process "
        "Get-Service Get-Date Start-Sleep Invoke-Expression Invoke-Command Get-CimInstance "
        "Get-WmiObject Get-Member Get-Help Set-StrictMode Exit Return Throw "
        "query quser qwinsta logoff tsdiscon rwinsta msg cmd"
    ).split()
}
_SPECIAL_START = set("(){}[]@&<>`=!")
_SPECIAL_INSIDE = set("(){}$@`\"'<>&")
_WORD_END = set(" \t;|,")
_NUMBER = re.compile(r"-?\d+")
_PARAM = re.compile(r"-([A-Za-z_][A-Za-z0-9_]*)(:?)")
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


# --- errors ------------------------------------------------------------------------------------


class ScriptError(Exception):
    """An error record ready to be shown: the error, where it happened and how to show it."""

    def __init__(self, error: PSError, position: Position | None, command: str | None = None,
                 *, parse_error: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.position = position
        self.command = command
        self.parse_error = parse_error

    def view(self) -> list[str]:
        return error_view(self.error, self.position, self.command, parse_error=self.parse_error)


class _StopScript(Exception):
    """-ErrorAction Stop turned an error into one that ends the whole script."""


def _not_interpreted(what: str, position: Position) -> ScriptError:
    error = PSError(
        NOT_SUPPORTED,
        f"wmssim does not interpret {what}: it runs one-line cmdlet calls only "
        "(see wmssim/host/oneliner.py).",
        "NotImplemented", "WmssimNotInterpreted",
    )
    return ScriptError(error, position, parse_error=True)


def _not_simulated(what: str, command: str, position: Position | None) -> ScriptError:
    error = PSError(NOT_SUPPORTED, f"wmssim does not simulate {what}.", "NotImplemented",
                    "WmssimNotSimulated", activity=command)
    return ScriptError(error, position, command)


def _parse_error(message: str, error_id: str, position: Position) -> ScriptError:
    error = PSError(PARSE_EXCEPTION, message, "ParserError", error_id,
                    reason="ParentContainsErrorRecordException")
    return ScriptError(error, position, parse_error=True)


# --- lexer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One token: kind is word, number, string, variable, param, comma, pipe or end."""

    kind: str
    text: str  # as written
    value: object  # the value (for param: the parameter name)
    line: int
    column: int  # 1-based
    colon: bool = False  # a parameter written as -Name:value

    @property
    def end(self) -> int:
        return self.column + len(self.text)


class _Lexer:
    def __init__(self, script: str) -> None:
        self.lines = script.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.tokens: list[Token] = []

    def position(self, line: int, column: int, length: int) -> Position:
        return Position(line, column, self.lines[line - 1], length)

    def run(self) -> list[Token]:
        for number, text in enumerate(self.lines, 1):
            self._line(number, text)
            self.tokens.append(Token("end", "\n", None, number, len(text) + 1))
        return self.tokens

    def _line(self, number: int, text: str) -> None:
        i = 0
        while i < len(text):
            char = text[i]
            column = i + 1
            if char in " \t":
                i += 1
            elif char == "#":
                return
            elif char in ";|,":
                if text.startswith("||", i):
                    raise _not_interpreted("'||'", self.position(number, column, 2))
                kind = {";": "end", "|": "pipe", ",": "comma"}[char]
                self.tokens.append(Token(kind, char, None, number, column))
                i += 1
            elif char in "'\"":
                i = self._string(number, text, i)
            elif char == "$":
                match = _VARIABLE.match(text, i)
                name = match.group(1).lower() if match else ""
                if name not in ("true", "false", "null"):
                    shown = match.group(0) if match else "'$'"
                    raise _not_interpreted(f"variables ({shown})", self.position(number, column, len(shown)))
                value = {"true": True, "false": False, "null": None}[name]
                self.tokens.append(Token("variable", match.group(0), value, number, column))
                i = match.end()
            elif char == "-" and _PARAM.match(text, i):
                match = _PARAM.match(text, i)
                token = Token("param", match.group(0), match.group(1), number, column, bool(match.group(2)))
                self.tokens.append(token)
                i = match.end()
            elif char in _SPECIAL_START:
                raise _not_interpreted(f"'{char}'", self.position(number, column, 1))
            else:
                i = self._word(number, text, i)

    def _string(self, number: int, text: str, start: int) -> int:
        quote = text[start]
        value: list[str] = []
        i = start + 1
        while i < len(text):
            if text[i] == quote:
                if text.startswith(quote * 2, i):
                    value.append(quote)
                    i += 2
                    continue
                break
            if quote == '"' and text[i] in "$`":
                raise _not_interpreted(
                    "variables or escapes in double-quoted strings", self.position(number, i + 1, 1)
                )
            value.append(text[i])
            i += 1
        else:
            raise _parse_error(
                f"The string is missing the terminator: {quote}.", "TerminatorExpectedAtEndOfString",
                self.position(number, start + 1, len(text) - start),
            )
        self.tokens.append(Token("string", text[start:i + 1], "".join(value), number, start + 1))
        return i + 1

    def _word(self, number: int, text: str, start: int) -> int:
        i = start
        while i < len(text) and text[i] not in _WORD_END:
            if text[i] in _SPECIAL_INSIDE:
                raise _not_interpreted(f"'{text[i]}'", self.position(number, i + 1, 1))
            i += 1
        word = text[start:i]
        if _NUMBER.fullmatch(word):
            self.tokens.append(Token("number", word, int(word), number, start + 1))
        else:
            self.tokens.append(Token("word", word, word, number, start + 1))
        return i


# --- parser ------------------------------------------------------------------------------------


@dataclass
class Element:
    """A parameter (``param`` set) with its value if it has one, or a positional value."""

    token: Token  # the parameter token, or the first token of the value
    param: str | None = None
    value: object = None
    has_value: bool = False
    value_text: str = ""
    value_token: Token | None = None


@dataclass
class Call:
    """One command of a pipeline (or, with no name, an expression that produces values)."""

    name: Token | None
    elements: list[Element]
    line: int
    start: int
    end: int
    text: str


@dataclass
class Statement:
    calls: list[Call]


_VALUE_KINDS = ("word", "number", "string", "variable")


class _Parser:
    def __init__(self, lexer: _Lexer, tokens: list[Token]) -> None:
        self.lexer = lexer
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def statements(self) -> list[Statement]:
        out: list[Statement] = []
        while self.i < len(self.tokens):
            if self.peek().kind == "end":
                self.i += 1
                continue
            out.append(self.statement())
        return out

    def statement(self) -> Statement:
        calls: list[Call] = []
        while True:
            token = self.peek()
            if token.kind in ("pipe", "end"):
                raise _parse_error("An empty pipe element is not allowed.", "EmptyPipeElement",
                                   self.lexer.position(token.line, token.column, 1))
            calls.append(self.call(first=not calls))
            if self.peek().kind == "pipe":
                self.take()
                continue
            return Statement(calls)

    def call(self, first: bool) -> Call:
        head = self.peek()
        elements: list[Element] = []
        name: Token | None = None
        if head.kind in ("word", "param"):
            name = self.take()
        elif first and head.kind in _VALUE_KINDS:
            value, text, _ = self.value()
            elements.append(Element(head, value=value, has_value=True, value_text=text))
        else:
            where = self.lexer.position(head.line, head.column, len(head.text))
            raise _not_interpreted("an expression here", where)
        last = self.tokens[self.i - 1]
        while self.peek().kind not in ("pipe", "end"):
            token = self.peek()
            if name is None:
                raise _not_interpreted("expressions followed by arguments",
                                       self.lexer.position(token.line, token.column, len(token.text)))
            if token.kind == "param":
                self.take()
                element = Element(token, param=str(token.value))
                if token.colon:
                    if self.peek().kind not in _VALUE_KINDS:
                        nxt = self.peek()
                        raise _not_interpreted(f"a value after '{token.text}' here",
                                               self.lexer.position(nxt.line, nxt.column, 1))
                    element.value_token = self.peek()
                    element.value, element.value_text, _ = self.value()
                    element.has_value = True
                elements.append(element)
            elif token.kind in _VALUE_KINDS:
                value, text, _ = self.value()
                elements.append(Element(token, value=value, has_value=True, value_text=text, value_token=token))
            else:  # a comma with nothing before it
                raise _parse_error("Missing argument in parameter list.", "MissingArgument",
                                   self.lexer.position(token.line, token.column, 1))
            last = self.tokens[self.i - 1]
        line_text = self.lexer.lines[head.line - 1]
        end = last.end if last.line == head.line else len(line_text) + 1
        return Call(name, elements, head.line, head.column, end, line_text[head.column - 1:end - 1])

    def value(self) -> tuple[object, str, Token]:
        """A value or a comma list of values (then a list)."""
        first = self.take()
        values = [first.value]
        last = first
        while self.peek().kind == "comma":
            comma = self.take()
            if self.peek().kind not in _VALUE_KINDS:
                raise _parse_error("Missing expression after ','.", "MissingExpressionAfterToken",
                                   self.lexer.position(comma.line, comma.column, 1))
            last = self.take()
            values.append(last.value)
        line_text = self.lexer.lines[first.line - 1]
        text = line_text[first.column - 1:last.end - 1]
        return (values if len(values) > 1 else values[0]), text, first


def parse(script: str) -> tuple[_Lexer, list[Statement]]:
    """Tokens and statements of a script; raises ScriptError for what it cannot run."""
    lexer = _Lexer(script)
    tokens = lexer.run()
    return lexer, _Parser(lexer, tokens).statements()


# --- built-in commands -------------------------------------------------------------------------


@dataclass(frozen=True)
class Builtin:
    """A PowerShell command the interpreter runs itself."""

    command: Command
    exact: bool  # all of its real parameters are known (else: unknown ones are "not simulated")
    remaining: str | None = None  # parameter that takes all remaining positional arguments


def _builtin(
    name: str, cls: str, params: tuple[Parameter, ...], exact: bool, remaining: str | None = None
) -> Builtin:
    return Builtin(Command(name, f"Microsoft.PowerShell.Commands.{cls}", params), exact, remaining)


BUILTINS = {
    "import-module": _builtin("Import-Module", "ImportModuleCommand", (
        Parameter("Name", "System.String[]", mandatory=True, position=0),
        Parameter("Force", "switch"), Parameter("Global", "switch"),
    ), exact=False),
    "write-output": _builtin("Write-Output", "WriteOutputCommand", (
        Parameter("InputObject", "System.Object[]", mandatory=True, position=0, pipeline=True),
        Parameter("NoEnumerate", "switch"),
    ), exact=True, remaining="InputObject"),
    "write-host": _builtin("Write-Host", "WriteHostCommand", (
        Parameter("Object", "System.Object", position=0, pipeline=True),
    ), exact=False, remaining="Object"),
    "convertto-json": _builtin("ConvertTo-Json", "ConvertToJsonCommand", (
        Parameter("InputObject", "System.Object", mandatory=True, position=0, pipeline=True),
        Parameter("Depth", "System.Int32"), Parameter("Compress", "switch"),
    ), exact=True),
    "format-list": _builtin("Format-List", "FormatListCommand", (
        Parameter("InputObject", "System.Management.Automation.PSObject", pipeline=True),
    ), exact=False),
}
ALIASES = {"echo": "write-output", "write": "write-output", "fl": "format-list", "ipmo": "import-module"}


@dataclass
class _Formatted:
    """Format-List output: shown as a list, whatever the objects."""

    objects: list


# --- output: Out-Default and ConvertTo-Json ----------------------------------------------------


def display(value: object) -> str:
    """A value as PowerShell shows it in text."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, PSObject):
        return value.type_name
    return str(value)


def format_list(objects: list) -> list[str]:
    """Format-List: ``Name : value`` per property, one block per object, blank lines around."""
    lines = [""]
    for obj in objects:
        if isinstance(obj, PSObject):
            width = max((len(n) for n in obj.properties), default=0)
            lines += [f"{name.ljust(width)} : {display(v)}" for name, v in obj.properties.items()]
        else:
            lines.append(display(obj))
        lines.append("")
    return lines + [""]


def out_default(objects: list) -> list[str]:
    """The text Out-Default writes for a pipeline's output."""
    lines: list[str] = []
    run: list[PSObject] = []
    for obj in objects + [None]:
        if isinstance(obj, PSObject):
            run.append(obj)
            continue
        if run:
            lines += format_list(run)
            run = []
        if isinstance(obj, _Formatted):
            lines += format_list(obj.objects)
        elif isinstance(obj, list):
            lines += out_default(obj)
        elif obj is not None:
            lines += re.split(r"\r?\n", display(obj))
    return lines


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}


def json_string(text: str) -> str:
    """A string as Windows PowerShell 5.1's ConvertTo-Json writes it (JavaScriptSerializer)."""
    out = []
    for char in text:
        if char in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _json_tree(value: object, depth: int, level: int = 0) -> object:
    if isinstance(value, PSEnum):
        return value.value
    if isinstance(value, PSObject):
        if level > depth:
            return value.type_name  # deeper than -Depth: the object's ToString()
        return {k: _json_tree(v, depth, level + 1) for k, v in value.properties.items()}
    if isinstance(value, list):
        return [_json_tree(v, depth, level) for v in value]
    return value


def _json_text(value: object, compress: bool, indent: int = 0) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json_string(value)
    pad = " " * indent
    inner = " " * (indent + 4)
    if isinstance(value, dict):
        if compress:
            return "{" + ",".join(f"{json_string(k)}:{_json_text(v, True)}" for k, v in value.items()) + "}"
        items = [f"{inner}{json_string(k)}:  {_json_text(v, False, indent + 4)}" for k, v in value.items()]
        return "{\r\n" + ",\r\n".join(items) + "\r\n" + pad + "}"
    if isinstance(value, list):
        if compress:
            return "[" + ",".join(_json_text(v, True) for v in value) + "]"
        items = [inner + _json_text(v, False, indent + 4) for v in value]
        return "[\r\n" + ",\r\n".join(items) + "\r\n" + pad + "]"
    return json_string(str(value))


def convert_to_json(value: object, depth: int = 2, compress: bool = False) -> str:
    """ConvertTo-Json of Windows PowerShell 5.1: 4-space indent and ``"name":  value``."""
    return _json_text(_json_tree(value, depth), compress)


# --- the interpreter ---------------------------------------------------------------------------


@dataclass
class _Prepared:
    """A call whose command is found and whose parameters are bound, ready to run."""

    call: Call
    command: Command
    bound: dict[str, object]
    run: Callable[[_Prepared, list | None], Awaitable[list]]
    error_action: str = "Continue"


@dataclass
class Interpreter:
    """Runs parsed statements against a runspace, collecting the error views to show."""

    rs: Runspace
    lexer: _Lexer
    errors: list[list[str]] = field(default_factory=list)
    failed: bool = False  # the running statement wrote an error ($? will be false)

    def position(self, line: int, column: int, length: int) -> Position:
        return self.lexer.position(line, column, length)

    def call_position(self, call: Call) -> Position:
        return self.position(call.line, call.start, call.end - call.start)

    def token_position(self, token: Token, text: str | None = None) -> Position:
        return self.position(token.line, token.column, len(text if text is not None else token.text))

    async def run(self, statements: list[Statement]) -> bool:
        """Run every statement; True when the last one succeeded (PowerShell's ``$?``)."""
        ok = True
        for statement in statements:
            try:
                ok = await self.statement(statement)
            except _StopScript:
                return False
        return ok

    async def statement(self, statement: Statement) -> bool:
        try:
            prepared = [self.prepare(call, index > 0) for index, call in enumerate(statement.calls)]
        except ScriptError as err:
            self.errors.append(err.view())
            return False
        self.failed = False
        objects: list | None = None
        try:
            for item in prepared:
                objects = await item.run(item, objects)
        except ScriptError as err:
            self.errors.append(err.view())
            if any(p.error_action == "Stop" for p in prepared):
                raise _StopScript() from None
            return False
        for line in out_default(objects or []):
            self.rs.write_host(line)
        return not self.failed

    def write_error(self, item: _Prepared, error: PSError) -> None:
        """A non-terminating error from a command (shown unless -ErrorAction says otherwise)."""
        self.failed = True
        if item.error_action == "Stop":
            raise ScriptError(error, self.call_position(item.call), item.command.name)
        if item.error_action not in ("SilentlyContinue", "Ignore"):
            self.errors.append(error_view(error, self.call_position(item.call), item.command.name))

    # --- finding commands ---------------------------------------------------------------------
    def prepare(self, call: Call, has_input: bool) -> _Prepared:
        if call.name is None:
            return _Prepared(call, Command("", "", ()), {}, self.run_expression)
        name = call.name.text
        low = ALIASES.get(name.lower(), name.lower())
        builtin = BUILTINS.get(low)
        if builtin is not None:
            bound = self.bind(builtin, call, has_input)
            runner = getattr(self, "run_" + low.replace("-", "_"))
            return _Prepared(call, builtin.command, bound, runner, str(bound.get("ErrorAction", "Continue")))
        command = self.rs.find_command(name)
        if command is not None:
            bound = self.bind(Builtin(command, exact=True), call, has_input)
            action = str(bound.get("ErrorAction", "Continue"))
            return _Prepared(call, command, bound, self.run_multipoint, action)
        position = self.token_position(call.name)
        other = {n.lower(): n for n in cmdlets.other_multipoint_cmdlets(self.rs.host)}
        reachable = self.rs.module_loaded or self.rs.host.behaviour.module_autoload
        if (low in other and reachable) or low in NOT_SIMULATED_COMMANDS:
            raise _not_simulated(f"the command '{name}'", name, position)
        error = PSError(
            COMMAND_NOT_FOUND,
            f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or "
            "operable program. Check the spelling of the name, or if a path was included, verify that "
            "the path is correct and try again.",
            "ObjectNotFound", "CommandNotFoundException", target=name,
        )
        raise ScriptError(error, position, name)

    # --- parameter binding --------------------------------------------------------------------
    def binding_error(self, command: Command, error_id: str, message: str, position: Position) -> ScriptError:
        error = PSError(BINDING_EXCEPTION, message, "InvalidArgument", f"{error_id},{command.class_name}",
                        activity=command.name)
        return ScriptError(error, position, command.name)

    def parameter_names(self, command: Command) -> dict[str, str]:
        """Every parameter name and alias (lower-case) -> parameter name."""
        names = {n.lower(): n for n in cmdlets.parameter_names(self.rs.host, command)}
        for param in command.parameters:
            names.update({a.lower(): param.name for a in param.aliases})
        for alias, target in COMMON_ALIASES.items():
            if target.lower() in names:
                names[alias] = target
        return names

    def resolve_parameter(self, builtin: Builtin, token: Token) -> str:
        command = builtin.command
        names = self.parameter_names(command)
        written = str(token.value)
        position = self.token_position(token, "-" + written)
        if written.lower() in names:
            return names[written.lower()]
        matches = list(dict.fromkeys(t for n, t in names.items() if n.startswith(written.lower())))
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise self.binding_error(
                command, "AmbiguousParameter",
                f"Parameter cannot be processed because the parameter name '{written}' is ambiguous. "
                f"Possible matches include: {' '.join('-' + m for m in matches)}.", position,
            )
        if not builtin.exact:
            raise _not_simulated(f"the parameter -{written} of {command.name}", command.name, position)
        raise self.binding_error(
            command, "NamedParameterNotFound",
            f"A parameter cannot be found that matches parameter name '{written}'.", position,
        )

    def parameter_type(self, command: Command, name: str) -> str:
        param = command.parameter(name)
        if param is not None:
            return param.type
        if name in COMMON_TYPES:
            return COMMON_TYPES[name]
        return ""

    def bind(self, builtin: Builtin, call: Call, has_input: bool) -> dict[str, object]:
        """Named, then positional arguments; types; the parameter set; mandatory parameters."""
        command = builtin.command
        bound: dict[str, object] = {}
        positional: list[Element] = []
        elements = list(call.elements)
        index = 0
        while index < len(elements):
            element = elements[index]
            index += 1
            if element.param is None:
                positional.append(element)
                continue
            name = self.resolve_parameter(builtin, element.token)
            type_name = self.parameter_type(command, name)
            if not type_name:
                raise _not_simulated(f"the common parameter -{name}", command.name,
                                     self.token_position(element.token))
            if name in bound:
                raise self.binding_error(
                    command, "ParameterAlreadyBound",
                    f"Cannot bind parameter because parameter '{name}' is specified more than once. To "
                    "provide multiple values to parameters that can accept multiple values, use the array "
                    'syntax. For example, "-parameter value1,value2,value3".',
                    self.token_position(element.token),
                )
            if type_name == "switch":
                value = element.value if element.has_value else True
                bound[name] = self.convert(command, name, type_name, value, element)
                continue
            if not element.has_value:
                nxt = elements[index] if index < len(elements) else None
                if nxt is None or nxt.param is not None:
                    raise self.binding_error(
                        command, "MissingArgument",
                        f"Missing an argument for parameter '{name}'. Specify a parameter of type "
                        f"'{type_name.replace('switch', 'System.Management.Automation.SwitchParameter')}' "
                        "and try again.", self.token_position(element.token),
                    )
                value_token = nxt.value_token or nxt.token
                element = Element(element.token, name, nxt.value, True, nxt.value_text, value_token)
                index += 1
            bound[name] = self.convert(command, name, type_name, element.value, element)
        self.bind_positional(builtin, call, bound, positional)
        self.check_sets(command, call, bound, has_input)
        return bound

    def bind_positional(self, builtin: Builtin, call: Call, bound: dict, positional: list[Element]) -> None:
        command = builtin.command
        if builtin.remaining and positional:
            values: list = []
            for element in positional:
                values += element.value if isinstance(element.value, list) else [element.value]
            bound[builtin.remaining] = values if len(values) != 1 else values[0]
            return
        slots = sorted((p for p in command.parameters if p.position is not None and p.name not in bound),
                       key=lambda p: p.position)
        for element in positional:
            if not slots:
                raise self.binding_error(
                    command, "PositionalParameterNotFound",
                    f"A positional parameter cannot be found that accepts argument '{element.value_text}'.",
                    self.call_position(call),
                )
            param = slots.pop(0)
            bound[param.name] = self.convert(command, param.name, param.type, element.value, element)

    def convert(self, command: Command, name: str, type_name: str, value: object, element: Element) -> object:
        """PowerShell's argument conversion for the types these commands use."""
        token = element.value_token or element.token
        position = self.token_position(token, element.value_text or token.text)

        def fail(reason: str) -> ScriptError:
            return self.binding_error(
                command, "CannotConvertArgumentNoMessage",
                f"Cannot bind parameter '{name}'. Cannot convert value \"{display(value)}\" to type "
                f"\"{type_name}\". Error: \"{reason}\"", position,
            )

        if type_name == "switch":
            if isinstance(value, bool) or value is None:
                return bool(value)
            if isinstance(value, int):
                return value != 0
            raise fail("Only Boolean values or numbers are accepted for a switch.")
        if type_name.endswith("[]"):
            items = value if isinstance(value, list) else [value]
            return [self.convert(command, name, type_name[:-2], v, element) for v in items]
        untyped = ("System.Object", "System.Management.Automation.PSObject")
        if isinstance(value, list) and type_name not in untyped:
            raise self.binding_error(
                command, "CannotConvertArgument",
                f"Cannot bind parameter '{name}'. Cannot convert the \"System.Object[]\" value of type "
                f"\"System.Object[]\" to type \"{type_name}\".", position,
            )
        if type_name in ("System.Int32", "System.UInt32"):
            low, high, short = ((-2**31, 2**31 - 1, "Int32") if type_name == "System.Int32"
                                else (0, 2**32 - 1, "UInt32"))
            if isinstance(value, bool):
                number = int(value)
            elif isinstance(value, int):
                number = value
            elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
                number = int(value.strip())
            else:
                raise fail("Input string was not in a correct format.")
            if not low <= number <= high:
                raise fail(f"Value was either too large or too small for a {short}.")
            return number
        if type_name == "System.String":
            return display(value)
        if type_name == "System.Management.Automation.ActionPreference":
            text = display(value)
            for choice in ACTION_PREFERENCES:
                if choice.lower() == text.lower():
                    return choice
            raise fail(f"Unable to match the identifier name {text} to a valid enumerator name. Specify one "
                       f"of the following enumerator names and try again: {', '.join(ACTION_PREFERENCES)}")
        if type_name in untyped:
            return value
        raise _not_simulated(f"values of type {type_name} (-{name})", command.name, position)

    def check_sets(self, command: Command, call: Call, bound: dict, has_input: bool) -> None:
        candidates = list(command.sets)
        for name in bound:
            param = command.parameter(name)
            if param is not None and param.sets:
                candidates = [s for s in candidates if s in param.sets]
        if not candidates:
            raise self.binding_error(command, "AmbiguousParameterSet",
                                     "Parameter set cannot be resolved using the specified named parameters.",
                                     self.call_position(call))
        chosen = command.default_set if command.default_set in candidates else candidates[0]
        if len(candidates) > 1 and command.default_set not in candidates:
            raise self.binding_error(command, "AmbiguousParameterSet",
                                     "Parameter set cannot be resolved using the specified named parameters.",
                                     self.call_position(call))
        missing = [
            p.name for p in command.parameters
            if p.mandatory and (not p.sets or chosen in p.sets) and p.name not in bound
            and not (has_input and p.pipeline)
        ]
        if missing:
            raise self.binding_error(
                command, "MissingMandatoryParameter",
                "Cannot process command because of one or more missing mandatory parameters: "
                f"{' '.join(missing)}.",
                self.call_position(call),
            )

    # --- running commands ---------------------------------------------------------------------
    async def run_expression(self, item: _Prepared, objects: list | None) -> list:
        value = item.call.elements[0].value
        return list(value) if isinstance(value, list) else [value]

    async def run_import_module(self, item: _Prepared, objects: list | None) -> list:
        self.no_input(item, objects)
        for name in item.bound["Name"]:
            try:
                self.rs.import_module(name)
            except PSError as err:
                self.write_error(item, err)
        return []

    async def run_write_output(self, item: _Prepared, objects: list | None) -> list:
        if "InputObject" in item.bound:
            value = item.bound["InputObject"]
            if item.bound.get("NoEnumerate"):
                return [value]
            return list(value) if isinstance(value, list) else [value]
        return list(objects or [])

    async def run_write_host(self, item: _Prepared, objects: list | None) -> list:
        values = item.bound.get("Object", objects or [])
        values = values if isinstance(values, list) else [values]
        self.rs.write_host(" ".join(display(v) for v in values))
        return []

    async def run_convertto_json(self, item: _Prepared, objects: list | None) -> list:
        if "InputObject" in item.bound:
            value = item.bound["InputObject"]
        elif not objects:
            return []
        else:
            value = objects[0] if len(objects) == 1 else list(objects)
        if any(isinstance(v, _Formatted) for v in (value if isinstance(value, list) else [value])):
            raise _not_simulated("ConvertTo-Json of Format-List output", item.command.name,
                                 self.call_position(item.call))
        return [convert_to_json(value, int(item.bound.get("Depth", 2)), bool(item.bound.get("Compress")))]

    async def run_format_list(self, item: _Prepared, objects: list | None) -> list:
        return [_Formatted(list(objects or []))] if objects else []

    def no_input(self, item: _Prepared, objects: list | None) -> None:
        if objects:
            raise _not_simulated(f"pipeline input to {item.command.name}", item.command.name,
                                 self.call_position(item.call))

    def local_server(self, item: _Prepared) -> None:
        server = item.bound.get("Server")
        host = self.rs.host
        if server is not None and str(server).lower() not in (
            "localhost", ".", "127.0.0.1", host.computer.lower(), host.spec.name.lower()
        ):
            raise _not_simulated(f"other MultiPoint servers (-Server {server})", item.command.name,
                                 self.call_position(item.call))

    async def run_multipoint(self, item: _Prepared, objects: list | None) -> list:
        command, bound, host = item.command, item.bound, self.rs.host
        if bound.get("SerializeString") or "Thumbnail" in bound:
            raise _not_simulated(f"{'-SerializeString' if 'SerializeString' in bound else '-Thumbnail'} of "
                                 f"{command.name}", command.name, self.call_position(item.call))
        self.local_server(item)
        try:
            if command.name == "Get-WmsSession":
                self.no_input(item, objects)
                if host.generation == "2012":
                    ids = [bound["Id"]] if "Id" in bound else None
                else:
                    ids = None if bound.get("All") else list(bound.get("SessionId", []))
                return cmdlets.unroll(await cmdlets.get_wms_session(self.rs, ids))
            if bound.get("Confirm"):
                raise PSError(
                    INVALID_OPERATION,
                    "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not "
                    "available.",
                    "InvalidOperation", f"{INVALID_OPERATION},{command.class_name}", activity=command.name,
                )
            act = (cmdlets.disconnect_wms_session if command.name == "Disconnect-WmsSession"
                   else cmdlets.close_wms_session)
            for ids in self.target_lists(item, objects):
                errors = await act(self.rs, ids, timeout=bound.get("TimeoutInSecond"),
                                   what_if=bool(bound.get("WhatIf")), cause=f"one-liner: {item.call.text}")
                for error in errors:
                    self.write_error(item, error)
        except PSError as err:
            raise ScriptError(err, self.call_position(item.call), command.name) from None
        return []

    def target_lists(self, item: _Prepared, objects: list | None) -> list[list[int] | None]:
        """The ids of each call: one call per pipeline object, else the bound -SessionId / -All."""
        bound, generation = item.bound, self.rs.host.generation
        if objects is None:
            if bound.get("All"):
                return [None]
            ids = bound.get("SessionId", [])
            return [ids if isinstance(ids, list) else [ids]]
        lists: list[list[int] | None] = []
        for obj in objects:
            if isinstance(obj, PSObject) and "SessionId" in obj.properties:
                lists.append([int(obj.properties["SessionId"])])  # by property name
            elif generation == "2012" and isinstance(obj, int) and not isinstance(obj, bool):
                lists.append([obj])  # 2012: -SessionId also takes input by value
            else:
                self.write_error(item, PSError(
                    BINDING_EXCEPTION,
                    "The input object cannot be bound to any parameters for the command either because the "
                    "command does not take pipeline input or the input and its properties do not match any "
                    "of the parameters that take pipeline input.",
                    "InvalidArgument", f"InputObjectNotBound,{item.command.class_name}",
                    activity=item.command.name, target=display(obj),
                ))
        return lists


async def run_script(rs: Runspace, script: str) -> tuple[bool, list[list[str]]]:
    """Run a script of one-line statements. Output goes to ``rs.write_host``; returns whether the
    last statement succeeded (``$?``: exit code 0 or 1) and the error views to show on stderr."""
    try:
        lexer, statements = parse(script)
    except ScriptError as err:
        return False, [err.view()]
    interpreter = Interpreter(rs, lexer)
    ok = await interpreter.run(statements)
    return ok, interpreter.errors
