"""Static checks of the PowerShell agent (``plugins/plugin_utils/wms_agent.ps1``).

Nothing here runs PowerShell: there is none on this machine, and the agent's real targets are
Windows PowerShell 3.0 to 5.1. tree-sitter-powershell parses the scripts instead. It is
error-tolerant and not PowerShell's own parser (it misses some errors and mis-reads a few rare
constructs), so these checks are what a careful reviewer would check by reading: syntax, which
commands and parameters are called where, that the request is only read as data, which JSON keys
are written, P/Invoke bookkeeping and Windows PowerShell 3.0 compatibility. Every checker returns
a list of problems; the negative tests feed small bad snippets to prove each one can fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

try:  # tests/static as a package, or as a plain directory on sys.path (pytest's default)
    from . import cmdlet_tables
except ImportError:
    import cmdlet_tables  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
AGENT_PATH = REPO / "plugins" / "plugin_utils" / "wms_agent.ps1"
BOOTSTRAP_PATH = REPO / "plugins" / "plugin_utils" / "wms_bootstrap.ps1"
SCHEMA_PATH = REPO / "docs" / "agent-protocol.schema.json"
# The reference facts live beside the repository (shared/reference), when they are there.
REFERENCE_DIR = REPO.parent / "shared" / "reference"

PARSER = Parser(Language(tree_sitter_powershell.language()))
TABLES = cmdlet_tables.cmdlet_tables()

# Windows PowerShell cmdlets the agent may call, with the parameters it may use (all present in
# 3.0) and how many positional arguments each takes. Anything else is a problem: a cmdlet or
# parameter from a later version would fail on MultiPoint Server 2012.
BUILTINS: dict[str, tuple[frozenset[str], int]] = {
    "ConvertFrom-Json": (frozenset({"InputObject"}), 1),
    "Get-Command": (frozenset({"Name", "ErrorAction"}), 1),
    "Import-Module": (frozenset({"Name", "ErrorAction", "WarningAction"}), 1),
    "New-Object": (frozenset({"TypeName", "ArgumentList"}), 2),
    "Set-StrictMode": (frozenset({"Version"}), 0),
    "Start-Sleep": (frozenset({"Milliseconds"}), 1),
    "Write-Output": (frozenset({"InputObject"}), 1),
}
# Builtins that write nothing to the output stream, so they may stand alone as a statement.
SILENT_BUILTINS = frozenset({"Import-Module", "Set-StrictMode", "Start-Sleep"})
# Methods that return nothing (List<T>.Add, not ArrayList.Add: see test_no_collection_with_value_returning_add).
VOID_METHODS = frozenset({"Add", "Dispose", "Open", "SetCustomAttribute", "SetImplementationFlags", "WTSFreeMemory"})
BANNED_COMMANDS = frozenset(
    name.lower()
    for name in (
        "Invoke-Expression", "iex", "Add-Type", "Invoke-Command", "icm", "Start-Process", "saps", "start",
        "Start-Job", "sajb", "New-Module", "nmo", "Invoke-Item", "ii", "cmd", "cmd.exe", "powershell",
        "powershell.exe", "pwsh", "qwinsta", "quser", "query", "tsdiscon", "msg",
    )
)
BANNED_METHODS = frozenset(
    {"NewScriptBlock", "InvokeScript", "AddScript", "ExpandString", "GetNewClosure", "InvokeReturnAsIs", "InvokeWithContext"}
)
AUTOMATIC_VARIABLES = frozenset({"_", "null", "true", "false", "psversiontable", "erroractionpreference", "progresspreference"})
# Automatic variables a script must not assign (PowerShell owns them; some are read-only).
RESERVED_VARIABLES = frozenset(
    {
        "_", "args", "error", "event", "eventargs", "executioncontext", "false", "foreach", "home", "host", "input",
        "lastexitcode", "matches", "myinvocation", "ofs", "pid", "profile", "psboundparameters", "pscmdlet",
        "psitem", "psscriptroot", "pscommandpath", "psversiontable", "pwd", "sender", "shellid", "stacktrace",
        "switch", "this", "true",
    }
)
ADD_METHODS = ("AddCommand", "AddParameter", "AddArgument", "AddParameters", "AddScript")
WMS_NAME = re.compile(r"^[A-Za-z]+-Wms[A-Za-z]+$", re.IGNORECASE)
GENERATION_SUFFIX = re.compile(r"(2012|2016)$")
# Single-child wrapper nodes tree-sitter puts around every expression.
WRAPPERS = frozenset(
    {
        "pipeline", "pipeline_chain", "logical_expression", "bitwise_expression", "comparison_expression",
        "additive_expression", "multiplicative_expression", "format_expression", "range_expression",
        "array_literal_expression", "unary_expression", "argument_expression", "logical_argument_expression",
        "bitwise_argument_expression", "comparison_argument_expression", "additive_argument_expression",
        "multiplicative_argument_expression", "format_argument_expression", "range_argument_expression",
    }
)


# ---------------------------------------------------------------------------------------------
# Reading the tree


@dataclass
class Script:
    """A parsed PowerShell source."""

    text: str
    root: Node

    @classmethod
    def parse(cls, text: str) -> Script:
        return cls(text, PARSER.parse(text.encode("utf-8")).root_node)

    def nodes(self, *types: str) -> Iterator[Node]:
        """Every node of the tree (of the given types), in source order."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            if not types or node.type in types:
                yield node
            stack.extend(reversed(node.children))


def text_of(node: Node) -> str:
    return (node.text or b"").decode("utf-8")


def line_of(node: Node) -> int:
    return node.start_point.row + 1


def unwrap(node: Node) -> Node:
    """The node under the single-child expression wrappers."""
    while node.type in WRAPPERS and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def child_of_type(node: Node, *types: str) -> Node | None:
    for child in node.children:
        if child.type in types:
            return child
    return None


def enclosing_function(node: Node) -> str | None:
    """Name of the function a node is written in, or None at script level."""
    current = node.parent
    while current is not None:
        if current.type == "function_statement":
            name = child_of_type(current, "function_name")
            return text_of(name) if name is not None else None
        current = current.parent
    return None


def literal_string(node: Node) -> str | None:
    """The value of a string literal without expansion ('x', or "x" with no $ or `), else None."""
    node = unwrap(node)
    if node.type != "string_literal":
        return None
    raw = text_of(node)
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1].replace("''", "'")
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2 and "$" not in raw and "`" not in raw:
        return raw[1:-1]
    return None


def variable_name(node: Node) -> str | None:
    """Lower-case name of a variable node ($x, @x, ${x}); None for scope-qualified ones ($env:X)."""
    raw = text_of(node)
    name = raw[1:]
    if name.startswith("{") and name.endswith("}"):
        name = name[1:-1]
    if ":" in name:
        return None
    return name.lower()


@dataclass
class Function:
    """A function definition: its name, node and parameter names."""

    name: str
    node: Node
    params: list[str]

    def returns_value(self) -> bool:
        """Whether a `return <expression>` occurs in it."""
        for flow in Script("", self.node).nodes("flow_control_statement"):
            words = text_of(flow).split(None, 1)
            if words and words[0].lower() == "return" and len(words) > 1:
                return True
        return False


def functions(script: Script) -> dict[str, Function]:
    found: dict[str, Function] = {}
    for node in script.nodes("function_statement"):
        name_node = child_of_type(node, "function_name")
        assert name_node is not None
        params: list[str] = []
        param_block = next(Script("", node).nodes("param_block"), None)
        if param_block is not None and enclosing_node(param_block, "function_statement") == node:
            for parameter in Script("", param_block).nodes("script_parameter"):
                variable = child_of_type(parameter, "variable")
                if variable is not None:
                    params.append(text_of(variable)[1:])
        found[text_of(name_node)] = Function(text_of(name_node), node, params)
    return found


def enclosing_node(node: Node, node_type: str) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type == node_type:
            return current
        current = current.parent
    return None


# ---------------------------------------------------------------------------------------------
# Calls: `Name -Param value` commands, and .AddCommand('Name').AddParameter('Param', value) chains


@dataclass
class Token:
    """One element of a call: a named parameter (with its value if attached), an argument or a splat."""

    kind: str  # "param", "arg", "splat"
    text: str
    attached: bool = False  # param only: the value came with it (-Name:value, AddParameter('Name', value))
    value: str | None = None


@dataclass
class Call:
    """A command call found in the source."""

    name: str
    function: str | None
    line: int
    tokens: list[Token] = field(default_factory=list)
    via_api: bool = False  # built with AddCommand/AddParameter on a [PowerShell] instance


def command_calls(script: Script) -> list[Call]:
    calls = []
    for node in script.nodes("command"):
        name_node = child_of_type(node, "command_name")
        if name_node is None:
            continue  # invoked through & or . with an expression: see check_dynamic_code
        call = Call(text_of(name_node), enclosing_function(node), line_of(node))
        elements = child_of_type(node, "command_elements")
        attach = False
        for element in elements.children if elements is not None else []:
            if element.type == "command_argument_sep":
                if text_of(element).strip() == ":":
                    attach = True
                continue
            if element.type == "command_parameter":
                call.tokens.append(Token("param", text_of(element).lstrip("-").rstrip(":")))
            elif attach and call.tokens and call.tokens[-1].kind == "param" and not call.tokens[-1].attached:
                call.tokens[-1].attached = True
                call.tokens[-1].value = text_of(element)
            elif unwrap(element).type == "variable" and text_of(unwrap(element)).startswith("@"):
                call.tokens.append(Token("splat", text_of(element)))
            else:
                call.tokens.append(Token("arg", text_of(element)))
            attach = False
        calls.append(call)
    return calls


def invocation_parts(node: Node) -> tuple[str, Node | None, list[Node]]:
    """Method name, target node and argument nodes of an invokation_expression."""
    member = child_of_type(node, "member_name")
    method = text_of(member) if member is not None else ""
    target = node.children[0] if node.children else None
    arguments: list[Node] = []
    argument_list = child_of_type(node, "argument_list")
    if argument_list is not None:
        expression_list = child_of_type(argument_list, "argument_expression_list")
        if expression_list is not None:
            arguments = [c for c in expression_list.children if c.type == "argument_expression"]
    return method, target, arguments


def chain_root(node: Node) -> str:
    """Text of the object a method chain starts from (`$shell` in $shell.AddCommand(..).AddParameter(..))."""
    while node.type == "invokation_expression" and node.children:
        node = node.children[0]
    return text_of(node)


def api_calls(script: Script) -> tuple[list[Call], list[str]]:
    """Calls built through the [PowerShell] API, and problems with how they are built."""
    problems: list[str] = []
    events = []
    for node in script.nodes("invokation_expression"):
        method, _, arguments = invocation_parts(node)
        if method in ADD_METHODS:
            member = child_of_type(node, "member_name")
            assert member is not None
            events.append((member.start_byte, method, arguments, node))
    events.sort(key=lambda event: event[0])
    current: dict[tuple[str | None, str], Call] = {}
    calls: list[Call] = []
    for _, method, arguments, node in events:
        function = enclosing_function(node)
        key = (function, chain_root(node))
        where = f"line {line_of(node)}"
        if method == "AddScript":
            problems.append(f"{where}: AddScript runs text as code")
            continue
        if method == "AddCommand":
            name = literal_string(arguments[0]) if arguments else None
            if name is None:
                problems.append(f"{where}: AddCommand needs a literal command name")
                continue
            call = Call(name, function, line_of(node), via_api=True)
            calls.append(call)
            current[key] = call
            continue
        call = current.get(key)
        if call is None:
            problems.append(f"{where}: {method} before any AddCommand on {key[1]}")
            continue
        if method == "AddParameter":
            name = literal_string(arguments[0]) if arguments else None
            if name is None:
                problems.append(f"{where}: AddParameter needs a literal parameter name")
                continue
            token = Token("param", name)
            if len(arguments) > 1:
                token.attached = True
                token.value = text_of(arguments[1])
            call.tokens.append(token)
        elif method == "AddArgument":
            call.tokens.append(Token("arg", text_of(arguments[0]) if arguments else ""))
        else:  # AddParameters: a dictionary of names nobody can check
            call.tokens.append(Token("splat", text_of(node)))
    return calls, problems


@dataclass
class Bound:
    """A call's tokens bound to parameters: names used and positional arguments."""

    names: list[str] = field(default_factory=list)
    positional: int = 0
    problems: list[str] = field(default_factory=list)


def bind(call: Call, lookup: Callable[[str], tuple[str, bool] | None]) -> Bound:
    """Binds tokens; lookup(name) gives (canonical name, is_switch) or None for an unknown parameter."""
    bound = Bound()
    tokens = list(call.tokens)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.kind == "splat":
            bound.problems.append(f"{call.name} at line {call.line}: splatting hides the parameters ({token.text})")
            continue
        if token.kind == "arg":
            bound.positional += 1
            continue
        found = lookup(token.text)
        if found is None:
            bound.problems.append(f"{call.name} at line {call.line}: no parameter -{token.text}")
            continue
        name, switch = found
        if name.lower() in (n.lower() for n in bound.names):
            bound.problems.append(f"{call.name} at line {call.line}: -{name} given twice")
        bound.names.append(name)
        if token.attached or switch:
            continue
        if index < len(tokens) and tokens[index].kind == "arg":
            index += 1
        else:
            bound.problems.append(f"{call.name} at line {call.line}: -{name} needs a value")
    return bound


# ---------------------------------------------------------------------------------------------
# Checkers (each returns problems; the agent must have none)


def check_syntax(script: Script) -> list[str]:
    problems = []
    for node in script.nodes():
        if node.is_error or node.is_missing:
            kind = "missing" if node.is_missing else "error"
            problems.append(f"line {line_of(node)}: syntax {kind} near {text_of(node)[:60]!r}")
    return problems


def wms_lookup(sets: list[cmdlet_tables.ParameterSet]) -> Callable[[str], tuple[str, bool] | None]:
    def lookup(name: str) -> tuple[str, bool] | None:
        for pset in sets:
            parameter = pset.get(name)
            if parameter is not None:
                return parameter.name, parameter.switch
        for common in cmdlet_tables.COMMON_PARAMETERS:
            if common.lower() == name.lower():
                return common, False
        return None

    return lookup


def check_wms_call(call: Call) -> list[str]:
    """A MultiPoint cmdlet call: inside a generation function, fitting one documented parameter set."""
    where = f"{call.name} at line {call.line}"
    generation = GENERATION_SUFFIX.search(call.function or "")
    if generation is None:
        return [f"{where}: MultiPoint cmdlet outside a generation function (...2012 / ...2016): {call.function}"]
    sets = cmdlet_tables.find_cmdlet(TABLES[generation.group(1)], call.name)
    if sets is None:
        return [f"{where}: no such cmdlet in MultiPoint {generation.group(1)}"]
    bound = bind(call, wms_lookup(sets))
    if bound.problems:
        return bound.problems
    if bound.positional:
        return [f"{where}: positional arguments; name every parameter"]
    used = {name.lower() for name in bound.names if name not in cmdlet_tables.COMMON_PARAMETERS}
    for pset in sets:
        names = {name.lower() for name in pset.parameters}
        mandatory = {name.lower() for name in pset.mandatory()}
        if used <= names and mandatory <= used:
            return []
    return [
        f"{where}: parameters {sorted(bound.names)} fit no parameter set of the {generation.group(1)} cmdlet "
        f"(a set must hold all of them and get all its mandatory ones)"
    ]


def check_wms_calls(script: Script) -> list[str]:
    calls, problems = api_calls(script)
    for call in command_calls(script) + calls:
        if WMS_NAME.match(call.name):
            problems.extend(check_wms_call(call))
    return problems


def check_commands(script: Script) -> list[str]:
    """Every command is the agent's own function, an allowed builtin or a MultiPoint cmdlet."""
    own = functions(script)
    own_lower = {name.lower(): fn for name, fn in own.items()}
    builtins = {name.lower(): (name, spec) for name, spec in BUILTINS.items()}
    api, problems = api_calls(script)
    for call in command_calls(script) + api:
        key = call.name.lower()
        if WMS_NAME.match(call.name):
            continue
        if key in own_lower and not call.via_api:
            fn = own_lower[key]

            def lookup(name: str, fn: Function = fn) -> tuple[str, bool] | None:
                for param in fn.params:
                    if param.lower() == name.lower():
                        return param, False
                return None

            bound = bind(call, lookup)
            problems.extend(bound.problems)
            if bound.positional > len(fn.params) - len(bound.names):
                problems.append(f"{call.name} at line {call.line}: too many positional arguments")
        elif key in builtins:
            canonical, (allowed, positional) = builtins[key]
            def builtin(name: str, allowed: frozenset[str] = allowed) -> tuple[str, bool] | None:
                return next(((a, False) for a in allowed if a.lower() == name.lower()), None)

            bound = bind(call, builtin)
            problems.extend(bound.problems)
            if bound.positional > positional:
                problems.append(f"{call.name} at line {call.line}: {bound.positional} positional arguments")
        else:
            problems.append(f"line {call.line}: unknown command {call.name}")
    return problems


def check_dynamic_code(script: Script) -> list[str]:
    """Nothing turns text into code or calls a command whose name is computed."""
    problems = []
    for node in script.nodes("command"):
        if child_of_type(node, "command_invokation_operator") is not None:
            problems.append(f"line {line_of(node)}: & or . invocation ({text_of(node)[:40]!r})")
    api, api_problems = api_calls(script)
    problems.extend(api_problems)
    for call in command_calls(script) + api:
        if call.name.lower() in BANNED_COMMANDS:
            problems.append(f"line {call.line}: {call.name} is not allowed in the agent")
    for node in script.nodes("invokation_expression", "member_access"):
        member = child_of_type(node, "member_name")
        if member is not None and text_of(member) in BANNED_METHODS:
            problems.append(f"line {line_of(node)}: .{text_of(member)}() is not allowed in the agent")
    for node in script.nodes("type_literal"):
        if "scriptblock" in text_of(node).lower():
            problems.append(f"line {line_of(node)}: {text_of(node)} (only the bootstrap makes script blocks)")
    for node in script.nodes("script_block_expression"):
        problems.append(f"line {line_of(node)}: script block literal {text_of(node)[:40]!r}")
    for node in script.nodes("expandable_string_literal", "expandable_here_string_literal"):
        if "$" in text_of(node) or "`" in text_of(node):
            problems.append(f"line {line_of(node)}: string interpolation {text_of(node)[:40]!r}")
    for call in command_calls(script):
        if call.name.lower() == "new-object":
            first = next((t for t in call.tokens if t.kind == "arg"), None)
            type_name = next((t for t in call.tokens if t.kind == "param" and t.text.lower() == "typename"), None)
            index = call.tokens.index(type_name) + 1 if type_name is not None else None
            if index is not None and index < len(call.tokens):
                value = call.tokens[index].text
            else:
                value = first.text if first else ""
            if not re.fullmatch(r"[A-Za-z0-9_.]+|'[A-Za-z0-9_.\[\],]+'", value):
                problems.append(f"line {call.line}: New-Object with a computed type name {value!r}")
    return problems


# Statement lists whose statements write to the output stream (not the inside of @(...) or $(...)).
BODIES = frozenset({"program", "script_block_body", "statement_block", "named_block"})


def statement_heads(script: Script) -> Iterator[Node]:
    """The expression or command of every statement that can write to the output stream."""
    for node in script.nodes("pipeline"):
        parent = node.parent
        if parent is not None and parent.type == "statement_list" and getattr(parent.parent, "type", None) in BODIES:
            yield unwrap(node)


def check_output_leaks(script: Script) -> list[str]:
    """Nothing writes to the output stream by accident (it would land before the response line)."""
    own = {name.lower(): fn for name, fn in functions(script).items()}
    problems = []
    writes = 0
    for head in statement_heads(script):
        where = f"line {line_of(head)}"
        if head.type == "assignment_expression":
            continue
        if head.type in ("expression_with_unary_operator", "cast_expression"):
            cast = next(script_nodes(head, "type_literal"), None)
            if cast is not None and text_of(cast).lower() == "[void]":
                continue
        if head.type == "invokation_expression":
            method, _, _ = invocation_parts(head)
            if method in VOID_METHODS:
                continue
            problems.append(f"{where}: the value of .{method}() goes to the output; assign it or cast to [void]")
            continue
        if head.type == "command":
            name_node = child_of_type(head, "command_name")
            name = text_of(name_node) if name_node is not None else ""
            if name.lower() in own:
                if own[name.lower()].returns_value():
                    problems.append(f"{where}: the value {name} returns goes to the output")
                continue
            if name in SILENT_BUILTINS:
                continue
            if name == "Write-Output" and enclosing_function(head) is None:
                writes += 1
                continue
            problems.append(f"{where}: {name} writes to the output")
            continue
        problems.append(f"{where}: {text_of(head)[:40]!r} writes to the output")
    if writes > 1:
        problems.append(f"{writes} Write-Output statements; the agent writes exactly one line")
    return problems


def script_nodes(node: Node, *types: str) -> Iterator[Node]:
    return Script("", node).nodes(*types)


def check_variables(script: Script) -> list[str]:
    """Every variable read is a parameter, assigned in its function, assigned at script level or automatic."""
    top: set[str] = set()
    local: dict[str, set[str]] = {name: {p.lower() for p in fn.params} for name, fn in functions(script).items()}
    for node in script.nodes("script_parameter"):
        if enclosing_function(node) is None:
            variable = child_of_type(node, "variable")
            if variable is not None and variable_name(variable):
                top.add(variable_name(variable) or "")
    for node in script.nodes("left_assignment_expression", "foreach_statement"):
        if node.type == "left_assignment_expression":
            variable = unwrap(node.named_children[0]) if node.named_children else None
        else:
            variable = child_of_type(node, "variable")
        if variable is None or variable.type != "variable" or variable_name(variable) is None:
            continue
        function = enclosing_function(node)
        (top if function is None else local.setdefault(function, set())).add(variable_name(variable) or "")
    problems = []
    for name in sorted(top.union(*local.values()) & RESERVED_VARIABLES):
        problems.append(f"${name} is an automatic variable; the script must not assign it")
    for node in script.nodes("variable"):
        name = variable_name(node)
        if name is None or name in AUTOMATIC_VARIABLES or name in top:
            continue
        function = enclosing_function(node)
        if function is not None and name in local.get(function, set()):
            continue
        problems.append(f"line {line_of(node)}: {text_of(node)} is never assigned in {function or 'the script'}")
    return problems


def code_text(script: Script) -> str:
    """The source with its comments blanked out."""
    data = bytearray(script.text.encode("utf-8"))
    for node in script.nodes("comment"):
        data[node.start_byte:node.end_byte] = b" " * (node.end_byte - node.start_byte)
    return data.decode("utf-8")


def check_ps3(script: Script) -> list[str]:
    """Constructs Windows PowerShell 3.0 does not have."""
    problems = []
    for index, character in enumerate(script.text):
        if ord(character) > 127:
            line = script.text.count("\n", 0, index) + 1
            problems.append(f"line {line}: non-ASCII character {character!r}")
    code = code_text(script)
    if "::new(" in code.lower():
        problems.append("::new() needs PowerShell 5.0")
    if re.search(r"(?im)^\s*using\s+(namespace|module|assembly)\b", code):
        problems.append("using statements need PowerShell 5.0")
    for node in script.nodes("class_statement", "enum_statement"):
        problems.append(f"line {line_of(node)}: classes and enums need PowerShell 5.0")
    for node in script.nodes("pipeline_chain_tail"):
        problems.append(f"line {line_of(node)}: && and || need PowerShell 7")
    for node in script.nodes("invokation_expression"):
        method, _, _ = invocation_parts(node)
        if method.lower() in ("where", "foreach"):
            problems.append(f"line {line_of(node)}: .{method}() needs PowerShell 4.0")
    return problems


def check_request_reads(script: Script) -> list[str]:
    """The request reaches the agent as one string, read only by Read-AgentRequest."""
    problems = []
    reader = "Read-AgentRequest"
    uses = [n for n in script.nodes("variable") if variable_name(n) == "requestjson"]
    declared = [n for n in uses if enclosing_node(n, "script_parameter") is not None and enclosing_function(n) is None]
    passed = [
        n for n in uses
        if enclosing_function(n) is None and (cmd := enclosing_node(n, "command")) is not None
        and text_of(child_of_type(cmd, "command_name") or cmd) == reader
    ]
    if len(declared) != 1 or len(passed) != 1 or len(uses) != 2:
        problems.append(f"$RequestJson must be declared once and only passed to {reader} (found {len(uses)} uses)")
    converts = [c for c in command_calls(script) if c.name.lower() == "convertfrom-json"]
    if len(converts) != 1 or converts[0].function != reader:
        problems.append(f"ConvertFrom-Json must be called once, in {reader}")
    for node in script.nodes("variable"):
        if variable_name(node) in ("parsed", "raw") and enclosing_function(node) != reader:
            problems.append(f"line {line_of(node)}: {text_of(node)} (the parsed request) outside {reader}")
    fn = functions(script).get(reader)
    if fn is None:
        return problems + [f"no function {reader}"]
    body = Script("", fn.node)
    for node in body.nodes("assignment_expression"):
        left = child_of_type(node, "left_assignment_expression")
        target = text_of(left) if left is not None else ""
        value = text_of(node)[len(target):]
        if re.match(r"\$(request\[|action\b|backend\b)", target, re.IGNORECASE) and "Read-Json" not in value:
            problems.append(f"line {line_of(node)}: {target} is set from something other than a Read-Json* check")
    for node in body.nodes("element_access"):
        if text_of(node).lower().startswith("$raw["):
            if enclosing_node(node, "left_assignment_expression") is not None:
                continue
            command = enclosing_node(node, "command")
            name = text_of(child_of_type(command, "command_name") or command) if command is not None else ""
            if not name.startswith("Read-Json"):
                problems.append(f"line {line_of(node)}: {text_of(node)} is read without a Read-Json* check")
    returns = [text_of(f) for f in body.nodes("flow_control_statement") if text_of(f).lower().startswith("return")]
    if returns != ["return $request"]:
        problems.append(f"{reader} must return only the checked $request (returns: {returns})")
    return problems


# ---------------------------------------------------------------------------------------------
# JSON shapes


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_shapes() -> dict[str, frozenset[str]]:
    """Property names of every object the response holds, by name."""
    document = schema()
    defs = document["$defs"]
    response = defs["response"]["properties"]
    module = next(option for option in response["module"]["anyOf"] if option.get("type") == "object")
    return {
        "response": frozenset(response),
        "host": frozenset(response["host"]["properties"]),
        "module": frozenset(module["properties"]),
        "session": frozenset(defs["session"]["properties"]),
        "result": frozenset(defs["result"]["properties"]),
        "error": frozenset(defs["error"]["properties"]),
    }


def hash_keys(node: Node) -> list[str]:
    keys = []
    for entry in script_nodes(node, "hash_entry"):
        if enclosing_node(entry, "hash_literal_expression") != node:
            continue
        key = child_of_type(entry, "key_expression")
        if key is None:
            continue
        strings = list(script_nodes(key, "string_literal"))
        value = literal_string(strings[0]) if strings else None
        keys.append(value if value is not None else text_of(key))
    return keys


def ordered_literals(script: Script) -> list[tuple[int, list[str]]]:
    """Keys of every [ordered]@{...} literal (the only dictionaries the JSON writer accepts)."""
    found = []
    for cast in script.nodes("cast_expression"):
        type_literal = child_of_type(cast, "type_literal")
        value = cast.named_children[-1] if cast.named_child_count == 2 else None
        literal = unwrap(value) if value is not None else None
        if type_literal is None or literal is None or literal.type != "hash_literal_expression":
            continue
        if text_of(type_literal).lower() == "[ordered]":
            found.append((line_of(cast), hash_keys(literal)))
    return found


def check_json_keys(script: Script, shapes: dict[str, frozenset[str]]) -> list[str]:
    problems = []
    made: set[str] = set()
    for line, keys in ordered_literals(script):
        if len(keys) != len(set(keys)):
            problems.append(f"line {line}: repeated key in {keys}")
        match = [name for name, props in shapes.items() if props == frozenset(keys)]
        if not match:
            problems.append(f"line {line}: keys {sorted(keys)} match no object of the response schema")
        made.update(match)
    for name in sorted(set(shapes) - made):
        problems.append(f"no [ordered] literal writes the schema's {name} object")
    plain = set()
    for literal in script.nodes("hash_literal_expression"):
        plain.update(hash_keys(literal))
    known = set().union(*shapes.values()) | plain
    for node in script.nodes("left_assignment_expression"):
        access = unwrap(node.named_children[0]) if node.named_children else None
        if access is None or access.type != "element_access":
            continue
        index = access.named_children[-1]
        key = literal_string(index)
        if key is not None and key not in known:
            problems.append(f"line {line_of(node)}: key {key!r} is written but belongs to no known object")
    return problems


# ---------------------------------------------------------------------------------------------
# P/Invoke


def top_level_commas(text: str) -> int:
    depth = 0
    commas = 0
    for character in text:
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        elif character == "," and depth == 0:
            commas += 1
    return commas


def wts_imports(script: Script) -> dict[str, int]:
    """Arity of every P/Invoke method the agent defines (Add-WtsImport -Name 'X' -ParameterTypes @(...))."""
    found = {}
    for call in command_calls(script):
        if call.name != "Add-WtsImport":
            continue
        values = {t.text: call.tokens[i + 1].text for i, t in enumerate(call.tokens[:-1]) if t.kind == "param"}
        name = values.get("Name", "").strip("'")
        types = values.get("ParameterTypes", "")
        match = re.fullmatch(r"@\((.*)\)", types, re.DOTALL)
        assert match, types
        found[name] = top_level_commas(match.group(1)) + 1
    return found


def wts_calls(script: Script) -> list[tuple[Node, str, int]]:
    calls = []
    for node in script.nodes("invokation_expression"):
        method, target, arguments = invocation_parts(node)
        if method.startswith("WTS") and target is not None and text_of(target) == "$api":
            calls.append((node, method, len(arguments)))
    return calls


def check_pinvoke(script: Script) -> list[str]:
    problems = []
    imports = wts_imports(script)
    for node, method, count in wts_calls(script):
        where = f"line {line_of(node)}"
        if method not in imports:
            problems.append(f"{where}: {method} is not defined")
            continue
        if count != imports[method]:
            problems.append(f"{where}: {method} takes {imports[method]} arguments, called with {count}")
        if method == "WTSFreeMemory":
            if enclosing_node(node, "finally_clause") is None:
                problems.append(f"{where}: WTSFreeMemory outside a finally block")
            continue
        statement = node
        while statement.parent is not None and statement.parent.type != "statement_list":
            statement = statement.parent
        following = statement.next_named_sibling
        if following is None or "GetLastWin32Error" not in text_of(following):
            problems.append(f"{where}: {method} is not followed at once by Marshal.GetLastWin32Error()")
    allocating = ("WTSEnumerateSessionsW", "WTSQuerySessionInformationW")
    for function in {enclosing_function(n) for n, m, _ in wts_calls(script) if m in allocating}:
        frees = [n for n, m, _ in wts_calls(script) if m == "WTSFreeMemory" and enclosing_function(n) == function]
        if not frees:
            problems.append(f"{function}: a WTS buffer is never freed")
    return problems


# ---------------------------------------------------------------------------------------------
# The agent and the bootstrap


@pytest.fixture(scope="module")
def agent() -> Script:
    return Script.parse(AGENT_PATH.read_text(encoding="utf-8"))


def test_agent_parses_without_errors(agent: Script) -> None:
    assert check_syntax(agent) == []
    assert not agent.root.has_error


def test_bootstrap_parses_without_errors() -> None:
    bootstrap = Script.parse(BOOTSTRAP_PATH.read_text(encoding="utf-8"))
    assert check_syntax(bootstrap) == []
    assert "ScriptBlock]::Create" in bootstrap.text


def test_agent_takes_the_request_line_as_its_only_parameter(agent: Script) -> None:
    first = next(n for n in agent.root.named_children if n.type != "comment")
    assert first.type == "param_block"
    assert re.sub(r"\s", "", text_of(first)) == "param([string]$RequestJson)"


def test_wms_calls_use_documented_parameters_of_their_generation(agent: Script) -> None:
    assert check_wms_calls(agent) == []
    api, _ = api_calls(agent)
    wms = [c for c in api + command_calls(agent) if WMS_NAME.match(c.name)]
    # The agent calls exactly these, each in a function of its generation.
    assert sorted((c.name, c.function) for c in wms) == [
        ("Disconnect-WmsSession", "Invoke-MultiPointDisconnect2012"),
        ("Disconnect-WmsSession", "Invoke-MultiPointDisconnect2016"),
        ("Get-WmsSession", "Read-MultiPointSessions2012"),
        ("Get-WmsSession", "Read-MultiPointSessions2016"),
    ]
    for call in wms:
        params = {t.text: t.value for t in call.tokens}
        if call.name == "Get-WmsSession":
            # 2012: no arguments (lists every session); 2016: -All (else it would prompt for -SessionId).
            assert params == ({} if call.function.endswith("2012") else {"All": "$true"})
        else:
            # Never a prompt; -WhatIf in check mode, on the same call.
            assert params["Confirm"] == "$false"
            assert params["WhatIf"] == "$true"
            assert "SessionId" in params
            assert ("TimeoutInSecond" in params) == call.function.endswith("2012")


def test_no_dynamic_code_in_the_agent(agent: Script) -> None:
    assert check_dynamic_code(agent) == []
    code = code_text(agent).lower()
    for word in ("Invoke-Expression", "Add-Type", "NewScriptBlock", "ScriptBlock]::Create", "iex "):
        assert word.lower() not in code


def test_every_command_and_parameter_is_known(agent: Script) -> None:
    assert check_commands(agent) == []


def test_every_variable_is_assigned_somewhere_it_is_visible(agent: Script) -> None:
    assert check_variables(agent) == []


def test_nothing_but_the_response_reaches_the_output(agent: Script) -> None:
    assert check_output_leaks(agent) == []


def test_agent_is_strict_and_stops_on_every_error(agent: Script) -> None:
    top = [text_of(unwrap(n)) for n in statement_heads(agent) if enclosing_function(n) is None]
    assert "Set-StrictMode -Version 2.0" in top[:3]
    assert "$ErrorActionPreference = 'Stop'" in top[:3]
    # It ends normally after writing (no exit: over psrp that would end the runspace's pipeline).
    assert not [f for f in agent.nodes("flow_control_statement") if text_of(f).lower().startswith("exit")]


def test_generation_is_not_guessed_from_the_os_version(agent: Script) -> None:
    # OSVersion is read once, for host.os_version; the generation comes from the cmdlet's parameters.
    users = {enclosing_function(n) for n in agent.nodes("member_access", "member_name") if text_of(n) == "OSVersion"}
    assert users == {"Get-HostInfo"}
    detect = text_of(functions(agent)["Find-MultiPointModule"].node)
    for parameter in ("TimeoutInSecond", "All", "Server"):
        assert f"ContainsKey('{parameter}')" in detect
    assert re.search(r"'MultiPoint', 'WmsCmdlets', 'WmsCmdlets3'", detect)


def test_no_collection_with_value_returning_add(agent: Script) -> None:
    # VOID_METHODS trusts .Add() to return nothing: true for List<T>, not for ArrayList or HashSet.
    for word in ("ArrayList", "HashSet", "SortedSet"):
        assert word not in agent.text


def test_agent_is_ascii_and_windows_powershell_3_compatible(agent: Script) -> None:
    assert check_ps3(agent) == []


def test_request_is_only_read_through_validation(agent: Script) -> None:
    assert check_request_reads(agent) == []


def test_json_keys_match_the_response_schema(agent: Script) -> None:
    assert check_json_keys(agent, schema_shapes()) == []


def test_last_resort_response_is_valid(agent: Script) -> None:
    literals = [literal_string(n) for n in agent.nodes("string_literal")]
    fallback = [text for text in literals if text and text.startswith('{"agent":"multipoint.wms"')]
    assert len(fallback) == 1
    document = json.loads(fallback[0])
    definitions = schema()
    jsonschema.validate(document, {"$defs": definitions["$defs"], "$ref": "#/$defs/response"})
    assert document["ok"] is False and document["error"]["kind"] == "exception"


def test_pinvoke_calls_match_their_definitions(agent: Script) -> None:
    assert check_pinvoke(agent) == []
    assert wts_imports(agent) == {
        "WTSEnumerateSessionsW": 5,
        "WTSQuerySessionInformationW": 5,
        "WTSFreeMemory": 1,
        "WTSDisconnectSession": 3,
        "WTSSendMessageW": 10,
    }
    setup = text_of(functions(agent)["Add-WtsImport"].node)
    assert "GetField('SetLastError')" in setup and "CharSet]::Unicode" in setup
    assert "'wtsapi32.dll'" in setup and "DefineMethod" in setup and "PinvokeImpl" in setup
    # The P/Invoke type is reused when a runspace already defined it (psrp reuses processes).
    assert "GetAssemblies()" in text_of(functions(agent)["Get-WtsApi"].node)
    # WTS_SESSION_INFOW differs between 32- and 64-bit processes.
    assert "[System.IntPtr]::Size" in text_of(functions(agent)["Get-WtsSessionList"].node)
    send = next(text_of(n) for n, m, _ in wts_calls(agent) if m == "WTSSendMessageW")
    # Lengths in bytes, MB_OK | MB_ICONINFORMATION, bWait FALSE.
    assert "(2 * $Title.Length)" in send and "(2 * $Text.Length)" in send and "0x40" in send
    assert send.rstrip(")").endswith("$false")
    disconnect = next(text_of(n) for n, m, _ in wts_calls(agent) if m == "WTSDisconnectSession")
    assert disconnect.rstrip(")").endswith("$false")


def test_connect_states_are_the_protocol_names_in_wts_order(agent: Script) -> None:
    match = re.search(r"\$ConnectStates = @\(([^)]*)\)", agent.text)
    assert match is not None
    names = [name.strip().strip("'") for name in match.group(1).split(",")]
    assert names == schema()["$defs"]["state"]["enum"]


# ---------------------------------------------------------------------------------------------
# The cmdlet tables against the reference they were transcribed from


@pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason="shared/reference is not beside the repository")
@pytest.mark.parametrize("generation", cmdlet_tables.GENERATIONS)
def test_cmdlet_tables_match_the_reference(generation: str) -> None:
    reference = (REFERENCE_DIR / f"cmdlet-syntax-{generation}.txt").read_text(encoding="utf-8")
    documented = [line.strip() for line in reference.splitlines() if line.startswith("  [")]
    transcribed = getattr(cmdlet_tables, f"SYNTAX_{generation}").splitlines()
    assert transcribed == documented


def test_cmdlet_tables_read_the_documented_parameter_sets() -> None:
    disconnect_2012 = cmdlet_tables.find_cmdlet(TABLES["2012"], "Disconnect-WmsSession")
    assert disconnect_2012 is not None and len(disconnect_2012) == 1
    assert set(disconnect_2012[0].parameters) == {"SessionId", "TimeoutInSecond", "WhatIf", "Confirm"}
    assert disconnect_2012[0].mandatory() == {"SessionId"}
    get_2016 = {s.name: s for s in cmdlet_tables.find_cmdlet(TABLES["2016"], "Get-WmsSession") or []}
    assert get_2016["GetAll"].mandatory() == {"All"}
    assert get_2016["GetById"].mandatory() == {"SessionId"}
    assert len(TABLES["2012"]) == 28 and len(TABLES["2016"]) == 47


# ---------------------------------------------------------------------------------------------
# Negative tests: each checker catches what it is there for


def problems_of(check: Callable[[Script], list[str]], source: str) -> list[str]:
    return check(Script.parse(source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # -Server is 2016 only.
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -SessionId 3 -Server 'a' -Confirm:$false\n}\n", "no parameter -Server"),
        # -TimeoutInSecond is 2012 only, and the API chain is checked like a command.
        (
            "function Invoke-X2016 {\n    [void]$s.AddCommand('Disconnect-WmsSession').AddParameter('SessionId', $i).AddParameter('TimeoutInSecond', 5)\n}\n",
            "no parameter -TimeoutInSecond",
        ),
        # A parameter added on its own statement belongs to the call built before it.
        (
            "function Invoke-X2016 {\n    [void]$s.AddCommand('Get-WmsSession').AddParameter('All', $true)\n    [void]$s.AddParameter('TimeoutInSecond', 5)\n}\n",
            "no parameter -TimeoutInSecond",
        ),
        # 2016 Get-WmsSession without -All would prompt for -SessionId.
        ("function Read-X2016 {\n    Get-WmsSession\n}\n", "fit no parameter set"),
        ("function Read-X2016 {\n    [void]$s.AddCommand('Get-WmsSession')\n}\n", "fit no parameter set"),
        # -All and -SessionId are in different parameter sets.
        ("function Invoke-X2016 {\n    Disconnect-WmsSession -All -SessionId 3\n}\n", "fit no parameter set"),
        # 2012 Disconnect-WmsSession needs -SessionId.
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -TimeoutInSecond 5\n}\n", "fit no parameter set"),
        # Abbreviated names bind on Windows but are not checkable here.
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -Sess 3\n}\n", "no parameter -Sess"),
        # Get-WmsSession has no -WhatIf/-Confirm in either generation.
        ("function Read-X2016 {\n    Get-WmsSession -All -WhatIf\n}\n", "no parameter -WhatIf"),
        # PS 5.0 common parameter.
        ("function Read-X2016 {\n    Get-WmsSession -All -InformationAction Ignore\n}\n", "no parameter -InformationAction"),
        # Outside a generation function nobody knows which table applies.
        ("function Invoke-Anything {\n    Disconnect-WmsSession -SessionId 3\n}\n", "outside a generation function"),
        ("Get-WmsSession -All\n", "outside a generation function"),
        # Positional, splatted, missing value, unknown cmdlet, computed names.
        ("function Invoke-X2016 {\n    Disconnect-WmsSession 3\n}\n", "positional"),
        ("function Invoke-X2016 {\n    Disconnect-WmsSession @p\n}\n", "splatting"),
        ("function Invoke-X2012 {\n    Disconnect-WmsSession -SessionId\n}\n", "needs a value"),
        ("function Invoke-X2012 {\n    Send-WmsMessage -SessionId 3\n}\n", "no such cmdlet"),
        ("function Invoke-X2016 {\n    [void]$s.AddCommand($name)\n}\n", "literal command name"),
        ("function Invoke-X2016 {\n    [void]$s.AddCommand('Get-WmsSession').AddParameters($p)\n}\n", "splatting"),
    ],
)
def test_wms_checker_catches_wrong_calls(source: str, expected: str) -> None:
    problems = problems_of(check_wms_calls, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "source",
    [
        "function Invoke-X2012 {\n    Disconnect-WmsSession -SessionId 3 -TimeoutInSecond 5 -Confirm:$false -WhatIf\n}\n",
        "function Invoke-X2016 {\n    Disconnect-WmsSession -SessionId 3, 4 -Confirm:$false -ErrorAction Stop\n}\n",
        "function Read-X2012 {\n    Get-WmsSession\n}\n",
        "function Read-X2016 {\n    [void]$s.AddCommand('Get-WmsSession').AddParameter('All')\n}\n",
    ],
)
def test_wms_checker_accepts_documented_calls(source: str) -> None:
    assert problems_of(check_wms_calls, source) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Invoke-Expression $x\n", "not allowed"),
        ("iex $x\n", "not allowed"),
        ("Add-Type -TypeDefinition $code\n", "not allowed"),
        ("& $name -SessionId 3\n", "& or . invocation"),
        (". $path\n", "& or . invocation"),
        ("$b = [ScriptBlock]::Create($text)\n", "only the bootstrap"),
        ("$b = $ExecutionContext.InvokeCommand.NewScriptBlock($text)\n", "not allowed"),
        ("$t = $ExecutionContext.InvokeCommand.ExpandString($text)\n", "not allowed"),
        ("[void]$ps.AddScript($text)\n", "AddScript"),
        ("$m = \"Disconnect-WmsSession -SessionId $id\"\n", "interpolation"),
        ("$x = { Get-WmsSession }\n", "script block literal"),
        ("$o = New-Object -TypeName $typeName\n", "computed type name"),
        ("qwinsta\n", "not allowed"),
    ],
)
def test_dynamic_code_checker_catches_code_from_data(source: str, expected: str) -> None:
    problems = problems_of(check_dynamic_code, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function F {\n    param($A)\n    return $A\n}\n$x = F -B 1\n", "no parameter -B"),
        ("function F {\n    param($A)\n    return $A\n}\n$x = F 1 2\n", "too many positional"),
        ("$x = ConvertTo-Json -InputObject $y -Depth 5\n", "unknown command ConvertTo-Json"),
        ("$x = ConvertFrom-Json -InputObject $y -AsHashtable\n", "no parameter -AsHashtable"),
        ("$x = Get-LocalGroupMember -Name 'Administrators'\n", "unknown command Get-LocalGroupMember"),
        ("Start-Sleep -Duration $d\n", "no parameter -Duration"),
    ],
)
def test_command_checker_catches_unknown_commands_and_parameters(source: str, expected: str) -> None:
    problems = problems_of(check_commands, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function F {\n    param($Name)\n    return $Nmae\n}\n", "$Nmae is never assigned"),
        ("function F {\n    foreach ($input in $list) {\n    }\n}\n", "$input is an automatic variable"),
        ("$host = 'a'\n", "$host is an automatic variable"),
        ("function F {\n    $x = 1\n}\nfunction G {\n    return $x\n}\n", "$x is never assigned in G"),
        ("$y = $z\n", "$z is never assigned"),
    ],
)
def test_variable_checker_catches_typos(source: str, expected: str) -> None:
    problems = problems_of(check_variables, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function F {\n    $d.Remove('x')\n}\n", ".Remove()"),
        ("function F {\n    $b.Append('x')\n}\n", ".Append()"),
        ("function F {\n    return 1\n}\nfunction G {\n    F\n}\n", "the value F returns"),
        ("function F {\n    $x\n}\n", "writes to the output"),
        ("Write-Output 'a'\nWrite-Output 'b'\n", "exactly one line"),
    ],
)
def test_output_checker_catches_stray_output(source: str, expected: str) -> None:
    problems = problems_of(check_output_leaks, source)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$l = [System.Collections.Generic.List[int]]::new()\n", "::new()"),
        ("class Foo {\n    [int]$A\n}\n", "classes"),
        ("using namespace System.Text\n", "using"),
        ("$x = @(1, 2).Where($f)\n", ".Where()"),
        ("$s = 'caf\u00e9'\n", "non-ASCII"),
    ],
)
def test_ps3_checker_catches_later_constructs(source: str, expected: str) -> None:
    problems = problems_of(check_ps3, source)
    assert any(expected in problem for problem in problems), problems


def test_syntax_checker_catches_broken_source() -> None:
    assert check_syntax(Script.parse("function F {\n    if ($a {\n}\n"))
    assert check_syntax(Script.parse("$x = $a ?? $b\n"))


READER = """\
param([string]$RequestJson)
function Read-AgentRequest {
    param([string]$Json)
    $parsed = ConvertFrom-Json -InputObject $Json
    $raw = @{}
    $request = @{}
    $request['ids'] = Read-JsonIdList -Value $raw['ids']
    return $request
}
$AgentRequest = Read-AgentRequest -Json $RequestJson
"""


def test_request_checker_accepts_the_pattern() -> None:
    assert problems_of(check_request_reads, READER) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("$AgentRequest = Read-AgentRequest -Json $RequestJson", "$AgentRequest = Read-AgentRequest -Json $RequestJson\n$n = $RequestJson.Length"), "only passed"),
        (("    return $request\n}", "    return $request\n}\nfunction G {\n    return $parsed.ids\n}"), "outside Read-AgentRequest"),
        (("Read-JsonIdList -Value $raw['ids']", "$raw['ids']"), "other than a Read-Json"),
        (("    return $request\n", "    $t = $raw['title']\n    return $request\n"), "without a Read-Json"),
        (("    return $request\n", "    return $parsed\n"), "must return only"),
    ],
)
def test_request_checker_catches_unchecked_reads(change: tuple[str, str], expected: str) -> None:
    source = READER.replace(*change)
    assert source != READER
    problems = problems_of(check_request_reads, source)
    assert any(expected in problem for problem in problems), problems


def test_json_key_checker_catches_wrong_keys() -> None:
    shapes = {"error": frozenset({"kind", "type"}), "module": frozenset({"name", "version"})}
    good = "$e = [ordered]@{ kind = 1; type = 2 }\n$m = [ordered]@{ name = 1; 'version' = 2 }\n$e['kind'] = 3\n"
    assert problems_of(lambda s: check_json_keys(s, shapes), good) == []
    typo = "$e = [ordered]@{ kind = 1; typ = 2 }\n$m = [ordered]@{ name = 1; version = 2 }\n"
    assert any("match no object" in p for p in problems_of(lambda s: check_json_keys(s, shapes), typo))
    missing = "$e = [ordered]@{ kind = 1; type = 2 }\n"
    assert any("module object" in p for p in problems_of(lambda s: check_json_keys(s, shapes), missing))
    stray = good + "$e['kinds'] = 4\n"
    assert any("'kinds'" in p for p in problems_of(lambda s: check_json_keys(s, shapes), stray))


def test_pinvoke_checker_catches_arity_and_bookkeeping() -> None:
    source = """\
function Get-X {
    Add-WtsImport -TypeBuilder $t -Name 'WTSFreeMemory' -ReturnType ([void]) -ParameterTypes @([System.IntPtr])
    Add-WtsImport -TypeBuilder $t -Name 'WTSDisconnectSession' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [bool])
    Add-WtsImport -TypeBuilder $t -Name 'WTSQuerySessionInformationW' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [int], $p, $i)
}
function Use-X {
    $ok = $api::WTSDisconnectSession([System.IntPtr]::Zero, 3)
    $ok = $api::WTSQuerySessionInformationW([System.IntPtr]::Zero, 3, 5, [ref]$b, [ref]$n)
    $x = 1
    $api::WTSFreeMemory($b)
}
"""
    problems = problems_of(check_pinvoke, source)
    assert any("takes 3 arguments, called with 2" in p for p in problems), problems
    assert any("not followed at once by Marshal.GetLastWin32Error" in p for p in problems), problems
    assert any("WTSFreeMemory outside a finally block" in p for p in problems), problems
