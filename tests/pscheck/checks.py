"""Checks of a PowerShell script for the kinds of defect a reviewer looks for.

Each ``check_*`` function takes a parsed ``Script`` and returns a list of problems (empty: none
found). They encode the agent's rules: Windows PowerShell 3.0 to 5.1, only documented MultiPoint
parameters of the right generation, no code built from data, nothing but the response on the
output stream, the request read only through its checks, JSON written only in known shapes, and
P/Invoke bookkeeping. ``tests/pscheck/test_checks.py`` proves each check can fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tree_sitter import Node

from .cmdlets import COMMON_PARAMETERS, ParameterSet, cmdlet_tables, find_cmdlet
from .tree import (
    Call,
    Function,
    Script,
    api_calls,
    bind,
    child_of_type,
    command_calls,
    enclosing_function,
    enclosing_node,
    functions,
    invocation_parts,
    line_of,
    literal_string,
    text_of,
    unwrap,
    variable_name,
)

TABLES = cmdlet_tables()

# Windows PowerShell cmdlets the agent may call, with the parameters it may use (all present in
# 3.0) and how many positional arguments each takes. Anything else is a problem: a cmdlet or
# parameter from a later version would fail on MultiPoint Server 2012.
BUILTINS: dict[str, tuple[frozenset[str], int]] = {
    "Add-PSSnapin": (frozenset({"Name", "ErrorAction"}), 1),
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
VOID_METHODS = frozenset({"Add", "Dispose", "Enqueue", "Open", "SetCustomAttribute", "SetImplementationFlags", "WTSFreeMemory"})
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
AUTOMATIC_VARIABLES = frozenset({"_", "null", "true", "false", "psversiontable", "erroractionpreference", "progresspreference",
                                 "executioncontext"})
# Automatic variables a script must not assign (PowerShell owns them; some are read-only).
RESERVED_VARIABLES = frozenset(
    {
        "_", "args", "error", "event", "eventargs", "executioncontext", "false", "foreach", "home", "host", "input",
        "lastexitcode", "matches", "myinvocation", "ofs", "pid", "profile", "psboundparameters", "pscmdlet",
        "psitem", "psscriptroot", "pscommandpath", "psversiontable", "pwd", "sender", "shellid", "stacktrace",
        "switch", "this", "true",
    }
)
WMS_NAME = re.compile(r"^[A-Za-z]+-Wms[A-Za-z]+$", re.IGNORECASE)
GENERATION_SUFFIX = re.compile(r"(2012|2016)$")


# ---------------------------------------------------------------------------------------------
# Checkers (each returns problems; the agent must have none)


def check_syntax(script: Script) -> list[str]:
    problems = []
    for node in script.nodes():
        if node.is_error or node.is_missing:
            kind = "missing" if node.is_missing else "error"
            problems.append(f"line {line_of(node)}: syntax {kind} near {text_of(node)[:60]!r}")
    return problems


def wms_lookup(sets: list[ParameterSet]) -> Callable[[str], tuple[str, bool] | None]:
    def lookup(name: str) -> tuple[str, bool] | None:
        for pset in sets:
            parameter = pset.get(name)
            if parameter is not None:
                return parameter.name, parameter.switch
        for common in COMMON_PARAMETERS:
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
    sets = find_cmdlet(TABLES[generation.group(1)], call.name)
    if sets is None:
        return [f"{where}: no such cmdlet in MultiPoint {generation.group(1)}"]
    bound = bind(call, wms_lookup(sets))
    if bound.problems:
        return bound.problems
    if bound.positional:
        return [f"{where}: positional arguments; name every parameter"]
    used = {name.lower() for name in bound.names if name not in COMMON_PARAMETERS}
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
# Results of commands: .Count and friends only on @(...)

# Commands that always write exactly one object, so their result needs no @( ) around it.
ONE_OBJECT_COMMANDS = frozenset({"new-object", "convertfrom-json"})
COUNT_MEMBERS = frozenset({"count", "length"})


def _command_names(node: Node) -> list[str]:
    names = []
    for command in Script("", node).nodes("command"):
        name = child_of_type(command, "command_name")
        if name is not None:
            names.append(text_of(name))
    return names


def check_unwrapped_results(script: Script) -> list[str]:
    """``.Count``, ``.Length`` or an index on a command's result that is not wrapped in ``@()``.

    A command writes nothing, one object or many; without ``@()`` ``$x.Count`` is wrong for one
    object on Windows PowerShell 2.0 semantics and fails under Set-StrictMode for $null. The
    script's own functions (which return typed lists with ``return ,$list``) are exempt, and so
    are commands that always write one object.
    """
    own = {name.lower() for name in functions(script)}
    problems = []

    def external(names: list[str]) -> list[str]:
        return [n for n in names if n.lower() not in own and n.lower() not in ONE_OBJECT_COMMANDS]

    risky: dict[tuple[str | None, str], int] = {}
    for node in script.nodes("assignment_expression"):
        left = child_of_type(node, "left_assignment_expression")
        if left is None or node.named_child_count < 2:
            continue
        value = unwrap(node.named_children[-1])
        name = variable_name(unwrap(left.named_children[0])) if left.named_children else None
        if name is None:
            continue
        if value.type in ("pipeline", "command") or (value.type not in ("array_expression",) and child_of_type(value, "command")):
            found = external(_command_names(value))
            if found and value.type != "array_expression":
                risky[(enclosing_function(node), name)] = line_of(node)
    for node in script.nodes("member_access", "element_access"):
        target = node.children[0] if node.children else None
        if target is None:
            continue
        member = child_of_type(node, "member_name")
        if node.type == "member_access" and (member is None or text_of(member).lower() not in COUNT_MEMBERS):
            continue
        target = unwrap(target)
        if target.type == "parenthesized_expression":
            found = external(_command_names(target))
            if found:
                problems.append(f"line {line_of(node)}: {text_of(node)[:60]} on the result of {found[0]}; "
                                "wrap it in @( )")
        elif target.type == "variable":
            key = (enclosing_function(node), variable_name(target) or "")
            if key in risky:
                problems.append(f"line {line_of(node)}: {text_of(node)[:60]}: {text_of(target)} holds a command's "
                                f"result (line {risky[key]}); assign it with @( )")
    return problems


# ---------------------------------------------------------------------------------------------
# Time limits: module loading and MultiPoint cmdlets only through the time-limited runner

TIME_LIMITED = frozenset({"get-command", "import-module", "add-pssnapin"})
RUNNERS = ("Invoke-NestedPipeline", "Invoke-MultiPointRead")


def check_time_limited(script: Script) -> list[str]:
    """Get-Command, Import-Module, Add-PSSnapin and MultiPoint cmdlets run only in a nested
    pipeline that Invoke-NestedPipeline waits for with a time limit: never as commands of the
    agent itself, every function that builds one runs it through a runner, and only
    Invoke-NestedPipeline invokes a pipeline."""
    problems = []
    for call in command_calls(script):
        if call.name.lower() in TIME_LIMITED or WMS_NAME.match(call.name):
            problems.append(f"line {call.line}: {call.name} is called directly; build it with AddCommand and run "
                            "it through Invoke-MultiPointRead (time-limited)")
    api, _ = api_calls(script)
    texts = {name: text_of(fn.node) for name, fn in functions(script).items()}
    for call in api:
        if call.name.lower() in TIME_LIMITED or WMS_NAME.match(call.name):
            body = texts.get(call.function or "", "")
            if not any(runner in body for runner in RUNNERS):
                problems.append(f"line {call.line}: {call.name} is built in {call.function} but never run "
                                "through a time-limited runner")
    for node in script.nodes("invokation_expression"):
        method, _, arguments = invocation_parts(node)
        # [PowerShell]'s Invoke() takes no arguments (ADSI's Invoke('Members') is another thing).
        pipeline = method in ("BeginInvoke", "EndInvoke") or (method == "Invoke" and not arguments)
        if pipeline and enclosing_function(node) != "Invoke-NestedPipeline":
            problems.append(f"line {line_of(node)}: .{method}() outside Invoke-NestedPipeline (no time limit)")
    return problems


# ---------------------------------------------------------------------------------------------
# .NET types and static members, against the table of when each appeared

def _version_ok(since: str) -> bool:
    kind, _, number = since.rpartition(" ")
    major, minor = (int(x) for x in number.split(".")[:2])
    limit = (4, 5) if kind == ".NET" else (3, 0)
    return (major, minor) <= limit


def _type_names(spec: str) -> list[str]:
    """'System.Collections.Generic.Dictionary[long,bool]' -> the generic type and each argument."""
    spec = spec.strip()
    while spec.endswith("[]"):
        spec = spec[:-2]
    match = re.fullmatch(r"([^\[\]]+)\[(.*)\]", spec)
    if match is None:
        return [spec]
    names = [match.group(1)]
    for argument in match.group(2).split(","):
        names.extend(_type_names(argument))
    return names


def dotnet_used(script: Script) -> tuple[set[str], set[tuple[str, str]]]:
    """Type names (generic arguments apart) and (type, static member) pairs the script uses."""
    types: set[str] = set()
    members: set[tuple[str, str]] = set()
    for node in script.nodes("type_literal"):
        types.update(_type_names(text_of(node)[1:-1]))
    for call in command_calls(script):
        if call.name.lower() == "new-object":
            for index, token in enumerate(call.tokens):
                if token.kind == "param" and token.text.lower() == "typename" and index + 1 < len(call.tokens):
                    value = call.tokens[index + 1].text.strip("'\"")
                    types.update(_type_names(value))
    for node in script.nodes("invokation_expression", "member_access"):
        first = node.children[0] if node.children else None
        member = child_of_type(node, "member_name")
        if first is None or first.type != "type_literal" or member is None:
            continue
        static = any(text_of(c) == "::" for c in node.children)
        owner = _type_names(text_of(first)[1:-1])[0] if static else "System.Type"
        members.add((owner, text_of(member)))
    return types, members


def check_dotnet_versions(script: Script, table: dict) -> list[str]:
    """Every type and static member is in the table, and none is newer than .NET 4.5 / PowerShell 3.0."""
    accelerators = {k.lower(): v for k, v in (table.get("accelerators") or {}).items()}
    known = {k.lower(): v for k, v in (table.get("types") or {}).items()}
    types, members = dotnet_used(script)
    problems = []
    for name in sorted(types, key=str.lower):
        since = accelerators.get(name.lower()) or (known.get(name.lower()) or {}).get("since")
        if since is None:
            problems.append(f"type {name} is not in the table of .NET types (tests/data/reference/dotnet-members.yml)")
        elif not _version_ok(str(since)):
            problems.append(f"type {name} needs {since}, newer than .NET 4.5 / PowerShell 3.0")
    for owner, member in sorted(members):
        entry = known.get(owner.lower()) or {}
        since = (entry.get("members") or {}).get(member)
        if since is None:
            problems.append(f"{owner}::{member} is not in the table of .NET members")
        elif not _version_ok(str(since)):
            problems.append(f"{owner}::{member} needs {since}, newer than .NET 4.5 / PowerShell 3.0")
    return problems
