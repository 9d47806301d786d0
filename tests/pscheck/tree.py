"""Reading a PowerShell script with tree-sitter: nodes, functions, command calls and their binding.

tree-sitter-powershell is error-tolerant and not PowerShell's own parser: it misses some errors
and mis-reads a few rare constructs, so what this module finds is what a careful reader would find.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

PARSER = Parser(Language(tree_sitter_powershell.language()))

ADD_METHODS = ("AddCommand", "AddParameter", "AddArgument", "AddParameters", "AddScript")
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
