"""WS-Management SOAP for the WinRS cmd shell: parse requests, build responses and faults.

Every response shape follows a recording made against real Windows (named at each builder):

- pypsrp ``tests/tests_pypsrp/responses/test_winrs_standard.yml`` (Create, Command, Receive,
  Signal, Delete), ``test_winrs_stderr_rc.yml`` (stdout and stderr with rc 1),
  ``test_winrs_send.yml`` (SendResponse), ``test_winrs_operation_timeout.yml`` (Running state,
  ``w:TimedOut``), ``test_winrs_bad_cmd_id.yml`` (``w:InvalidSelectors``),
  ``test_winrs_no_cmd_shell.yml`` (``w:InternalError``), ``test_psrp_receive_failure.yml``
  (``a:InvalidMessageInformationHeader`` for a bad timeout);
- masterzen/winrm ``fixture_test.go`` (``operationTimeoutResponse``, the same ``w:TimedOut``);
- WinRb/WinRM ``tests/spec/stubs/responses/open_shell_v2.xml`` (CreateResponse).

Fault codes without a recording come from the Windows SDK header ``wsmerror.h`` (the
``ERROR_WSMAN_*`` value, its documented subcode and MessageText); each says which.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS_S = "http://www.w3.org/2003/05/soap-envelope"
NS_A = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_X = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_E = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
NS_N = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_W = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_P = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_F = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"

RESOURCE_CMD = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
COMMAND_STATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/"
STATE_DONE = COMMAND_STATE + "Done"
STATE_RUNNING = COMMAND_STATE + "Running"
SIGNAL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/"

_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
ACTION_URIS = {
    "Create": _TRANSFER + "Create",
    "Delete": _TRANSFER + "Delete",
    "Command": _SHELL + "Command",
    "Send": _SHELL + "Send",
    "Receive": _SHELL + "Receive",
    "Signal": _SHELL + "Signal",
}
ACTION_NAMES = {uri: name for name, uri in ACTION_URIS.items()}

DEFAULT_OPERATION_TIMEOUT = 60.0  # WinRM's MaxTimeoutms default (60000) when none is sent
MIN_ENVELOPE_SIZE = 8192  # MS-WSMV 3.1.4.1.7: a smaller wsman:MaxEnvelopeSize is refused

# Namespace declarations of the response envelopes, as the recordings carry them.
_ENV_OPEN = (
    '<s:Envelope xml:lang="en-US" xmlns:s="{s}" xmlns:a="{a}" xmlns:x="{x}" xmlns:w="{w}" '
    'xmlns:rsp="{rsp}" xmlns:p="{p}">'
).format(s=NS_S, a=NS_A, x=NS_X, w=NS_W, rsp=NS_RSP, p=NS_P)
_FAULT_ENV_OPEN = (
    '<s:Envelope xml:lang="en-US" xmlns:s="{s}" xmlns:a="{a}" xmlns:x="{x}" xmlns:e="{e}" '
    'xmlns:n="{n}" xmlns:w="{w}" xmlns:p="{p}">'
).format(s=NS_S, a=NS_A, x=NS_X, e=NS_E, n=NS_N, w=NS_W, p=NS_P)


# --- faults ---------------------------------------------------------------------------------
class WSManFault(Exception):
    """A SOAP fault as WinRM sends it (HTTP 500 with ``s:Fault``)."""

    def __init__(
        self,
        code: str,
        subcode: str,
        reason: str,
        wsman_code: int,
        message: str | None = None,
        *,
        fault_detail: str | None = None,
        provider: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = code  # s:Sender or s:Receiver
        self.subcode = subcode  # e.g. w:TimedOut
        self.reason = reason
        self.wsman_code = wsman_code
        self.message = reason if message is None else message
        self.fault_detail = fault_detail
        self.provider = provider  # (provider name, dll path) for a f:ProviderFault
        self.relates_to: str | None = None  # the request's MessageID once it is known
        self.action_name: str | None = None  # the request's action once it is known


def timed_out() -> WSManFault:
    """No output before the OperationTimeout: the client Receives again.

    Recorded: pypsrp test_winrs_operation_timeout.yml, masterzen/winrm fixture_test.go
    (ERROR_WSMAN_OPERATION_TIMEDOUT 0x80338029 = 2150858793).
    """
    text = (
        "The WS-Management service cannot complete the operation within the time specified "
        "in OperationTimeout.  "
    )
    return WSManFault("s:Receiver", "w:TimedOut", text, 2150858793)


_INVALID_SELECTORS = (
    "The WS-Management service cannot process the request because the request contained "
    "invalid selectors for the resource. "
)
_UNEXPECTED_SELECTORS = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"


def shell_not_found(shell_id: str) -> WSManFault:
    """A ShellId the host does not know.

    Shape and code recorded in pypsrp test_winrs_bad_cmd_id.yml / test_psrp_is_alive_invalid_
    selectors.yml (ERROR_WSMAN_UNEXPECTED_SELECTORS 0x8033805B = 2150858843); the message is the
    one Windows gives for a missing shell, as quoted in Microsoft's Exchange Online PowerShell
    troubleshooting pages and cloudsoft/winrm4j WinRmClient.
    """
    message = (
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the "
        "shell was not found on the server. Possible causes are: the specified ShellId is "
        "incorrect or the shell no longer exists on the server. Provide the correct ShellId or "
        "create a new shell and retry the operation. "
    )
    return WSManFault(
        "s:Sender", "w:InvalidSelectors", _INVALID_SELECTORS, 2150858843, message,
        fault_detail=_UNEXPECTED_SELECTORS,
    )


def command_not_found() -> WSManFault:
    """A CommandId the shell does not know (recorded: pypsrp test_winrs_bad_cmd_id.yml)."""
    message = (
        "The Windows Remote Shell received a request to perform an operation on a command "
        "identifier that does not exist. Either the command has completed execution or the "
        "client specified an invalid command identifier. "
    )
    return WSManFault(
        "s:Sender", "w:InvalidSelectors", _INVALID_SELECTORS, 2150858843, message,
        fault_detail=_UNEXPECTED_SELECTORS,
    )


def internal_error() -> WSManFault:
    """The fault injected by ``Faults.http_500``: a real provider failure, as recorded.

    pypsrp test_winrs_no_cmd_shell.yml: s:Receiver / w:InternalError, Code 2147942402
    (0x80070002) from the "Shell cmd plugin" (winrscmd.dll).
    """
    text = "The system cannot find the file specified. "
    return WSManFault(
        "s:Receiver", "w:InternalError", text, 2147942402,
        provider=("Shell cmd plugin", r"%systemroot%\system32\winrscmd.dll"),
    )


def invalid_parameter() -> WSManFault:
    """A request the shell plugin refuses (recorded: pypsrp test_winrs_fail_poll_process.yml)."""
    return WSManFault(
        "s:Sender", "w:InvalidParameter", "The parameter is incorrect. ", 87,
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
        provider=("Shell cmd plugin", r"%systemroot%\system32\winrscmd.dll"),
    )


def invalid_xml() -> WSManFault:
    """Not well-formed XML (wsmerror.h ERROR_WSMAN_INVALID_XML 0x80338043 = 2150858819)."""
    text = "The WS-Management service cannot process the request because the XML is invalid. "
    return WSManFault("s:Sender", "w:SchemaValidationError", text, 2150858819)


def schema_error(detail: str) -> WSManFault:
    """XML that is not the expected SOAP shape.

    Shape recorded in WinRb/WinRM's and pywinrm's SchemaValidationError fixtures
    (ERROR_WSMAN_SCHEMA_VALIDATION_ERROR 0x80338041 = 2150858817).
    """
    text = (
        "The SOAP XML in the message does not match the corresponding XML schema definition. "
        "Change the XML and retry. "
    )
    return WSManFault("s:Sender", "w:SchemaValidationError", text, 2150858817, detail)


def header_required(what: str) -> WSManFault:
    """A required SOAP header is missing (wsmerror.h 0x80338011 = 2150858769)."""
    text = (
        "The WS-Management service cannot process the request. The request does not have all "
        "the expected SOAP headers. "
    )
    return WSManFault(
        "s:Sender", "a:MessageInformationHeaderRequired", text, 2150858769, f"{text}({what})"
    )


def invalid_header(message: str) -> WSManFault:
    """A SOAP header with a bad value (recorded: pypsrp test_psrp_receive_failure.yml)."""
    text = (
        "The WS-Management service cannot process the request. The request contains one or "
        "more invalid SOAP headers. "
    )
    return WSManFault("s:Sender", "a:InvalidMessageInformationHeader", text, 2150858767, message)


def encoding_limit() -> WSManFault:
    """A wsman:MaxEnvelopeSize below 8192 octets.

    MS-WSMV 3.1.4.1.7: the server MUST return wsman:EncodingLimit then. Code: wsmerror.h
    ERROR_WSMAN_MAXENVELOPE_SIZE_NOT_SUPPORTED (2150858862); text of ERROR_WSMAN_ENCODING_LIMIT.
    """
    text = (
        "The WS-Management service cannot process the request because the encoding of the "
        "request exceeds an internal encoding limit. Reconfigure the client to send messages "
        "which fit the encoding limits of the service. "
    )
    return WSManFault(
        "s:Sender", "w:EncodingLimit", text, 2150858862,
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MaxEnvelopeSize",
    )


def action_not_supported(action: str) -> WSManFault:
    """An action this endpoint does not serve (wsmerror.h 0x80338013 = 2150858771)."""
    text = "The WS-Management service does not support the action specified in the request. "
    return WSManFault("s:Sender", "a:ActionNotSupported", text, 2150858771, f"{text}{action}")


def resource_not_found(uri: str) -> WSManFault:
    """A resource URI other than the cmd shell (wsmerror.h 0x80338000 = 2150858752)."""
    text = (
        "The WS-Management service cannot process the request. The service cannot find the "
        "resource identified by the resource URI and selectors. "
    )
    return WSManFault("s:Sender", "a:DestinationUnreachable", text, 2150858752, f"{text}{uri}")


# --- requests -------------------------------------------------------------------------------
@dataclass
class Request:
    """The parts of a WS-Man request the shell needs."""

    action: str
    message_id: str
    resource_uri: str | None = None
    to: str | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT
    max_envelope_size: int | None = None
    body: ET.Element | None = None

    @property
    def name(self) -> str | None:
        """The short action name (Create, Command, ...) or None for any other action."""
        return ACTION_NAMES.get(self.action)

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name.upper(), default)


_DURATION_RE = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d*)?|\.\d+)S)?)?$"
)
_DURATION_UNITS = (365 * 86400.0, 30 * 86400.0, 86400.0, 3600.0, 60.0, 1.0)


def parse_duration(text: str) -> float:
    """Seconds in an xs:duration (ISO 8601): ``PT20S``, ``PT1.5S``, ``P0DT0H1M0.250S``.

    Years and months count as 365 and 30 days. Raises ValueError for anything else,
    a negative duration included.
    """
    value = (text or "").strip()
    match = _DURATION_RE.match(value)
    if not match or value in ("P", "-P") or value.endswith("T"):
        raise ValueError(f"not an xs:duration: {text!r}")
    if match.group(1):
        raise ValueError(f"negative duration: {text!r}")
    return sum(
        float(part) * unit for part, unit in zip(match.groups()[1:], _DURATION_UNITS) if part
    )


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def parse_request(data: bytes) -> Request:
    """Parse a WS-Man envelope; raise ``WSManFault`` (with ``relates_to`` when known)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise invalid_xml()  # WinRM refuses DTDs; refusing them also keeps expat safe
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise invalid_xml() from None
    if root.tag != _q(NS_S, "Envelope"):
        raise schema_error("The request is not a SOAP 1.2 envelope.")
    header = root.find(_q(NS_S, "Header"))
    body = root.find(_q(NS_S, "Body"))
    if header is None:
        raise header_required("Header")
    message_id = (header.findtext(_q(NS_A, "MessageID")) or "").strip()
    if not message_id:
        raise header_required("MessageID")
    action = (header.findtext(_q(NS_A, "Action")) or "").strip()
    try:
        return _parse_headers(header, body, message_id, action)
    except WSManFault as fault:
        fault.relates_to = message_id
        fault.action_name = ACTION_NAMES.get(action)
        raise


def _parse_headers(
    header: ET.Element, body: ET.Element | None, message_id: str, action: str
) -> Request:
    if not action:
        raise header_required("Action")
    request = Request(action=action, message_id=message_id, body=body)
    request.resource_uri = (header.findtext(_q(NS_W, "ResourceURI")) or "").strip() or None
    request.to = (header.findtext(_q(NS_A, "To")) or "").strip() or None
    selector_set = header.find(_q(NS_W, "SelectorSet"))
    if selector_set is not None:
        for selector in selector_set.findall(_q(NS_W, "Selector")):
            request.selectors[selector.get("Name", "")] = (selector.text or "").strip()
    option_set = header.find(_q(NS_W, "OptionSet"))
    if option_set is not None:
        for option in option_set.findall(_q(NS_W, "Option")):
            request.options[option.get("Name", "").upper()] = (option.text or "").strip()
    timeout = header.findtext(_q(NS_W, "OperationTimeout"))
    if timeout is not None:
        try:
            request.operation_timeout = parse_duration(timeout)
        except ValueError:
            raise invalid_header(
                "The WS-Management service cannot process the request. The XML contains an "
                f"invalid timeout field in the SOAP header: {timeout.strip()}. "
            ) from None
    size = header.findtext(_q(NS_W, "MaxEnvelopeSize"))
    if size is not None:
        try:
            request.max_envelope_size = int(size.strip())
        except ValueError:
            raise invalid_header(
                "The WS-Management service cannot process the request. The MaxEnvelopeSize "
                f"header is not a number: {size.strip()}. "
            ) from None
        if request.max_envelope_size < MIN_ENVELOPE_SIZE:
            raise encoding_limit()
    if request.name is None:
        raise action_not_supported(action)
    if request.resource_uri is None:
        raise header_required("ResourceURI")
    if request.resource_uri.rstrip("/").lower() != RESOURCE_CMD.lower():
        raise resource_not_found(request.resource_uri)
    if body is None:
        raise schema_error("The SOAP envelope has no Body.")
    return request


def find(element: ET.Element | None, ns: str, tag: str) -> ET.Element | None:
    """``element.find`` of a direct child in namespace ``ns`` (None-safe)."""
    return None if element is None else element.find(_q(ns, tag))


def decode_base64(text: str | None) -> bytes:
    """Strict base64 of a Stream element; a schema fault if it is not base64."""
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise schema_error("The stream content is not valid base64.") from None


# --- responses ------------------------------------------------------------------------------
def new_id() -> str:
    """An upper-case GUID as Windows writes ShellId, CommandId and MessageID."""
    return str(uuid.uuid4()).upper()


def _envelope(action: str, relates_to: str, body: str, open_tag: str = _ENV_OPEN) -> str:
    return (
        f"{open_tag}<s:Header><a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{new_id()}</a:MessageID><a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def response_action(name: str) -> str:
    return ACTION_URIS[name] + "Response"


def create_response(
    request: Request,
    shell_id: str,
    *,
    address: str,
    owner: str,
    client_ip: str,
    input_streams: str = "stdin",
    output_streams: str = "stdout stderr",
) -> str:
    """CreateResponse (test_winrs_standard.yml; WinRb open_shell_v2.xml)."""
    body = (
        f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{RESOURCE_CMD}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        f"</a:ReferenceParameters></x:ResourceCreated>"
        f'<rsp:Shell xmlns:rsp="{NS_RSP}"><rsp:ShellId>{shell_id}</rsp:ShellId>'
        f"<rsp:ResourceUri>{RESOURCE_CMD}</rsp:ResourceUri><rsp:Owner>{escape(owner)}</rsp:Owner>"
        f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>{escape(input_streams)}</rsp:InputStreams>"
        f"<rsp:OutputStreams>{escape(output_streams)}</rsp:OutputStreams>"
        f"<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        f"<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )
    return _envelope(response_action("Create"), request.message_id, body)


def command_response(request: Request, command_id: str) -> str:
    """CommandResponse (test_winrs_standard.yml)."""
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return _envelope(response_action("Command"), request.message_id, body)


def send_response(request: Request) -> str:
    """SendResponse (test_winrs_send.yml)."""
    return _envelope(response_action("Send"), request.message_id, "<rsp:SendResponse/>")


def signal_response(request: Request) -> str:
    """SignalResponse (test_winrs_standard.yml)."""
    return _envelope(response_action("Signal"), request.message_id, "<rsp:SignalResponse/>")


def delete_response(request: Request) -> str:
    """DeleteResponse: an empty body (test_winrs_standard.yml)."""
    return _envelope(response_action("Delete"), request.message_id, "")


def receive_response(
    request: Request,
    command_id: str,
    stdout: bytes,
    stderr: bytes,
    done: bool,
    exit_code: int | None,
) -> str:
    """ReceiveResponse.

    Done (test_winrs_stderr_rc.yml): the data streams, then an empty ``End="true"`` stream for
    stdout and for stderr, then ``CommandState .../Done`` with ``ExitCode``.
    Running (test_winrs_operation_timeout.yml): the data streams and ``CommandState
    .../Running`` without ExitCode.
    """
    cid = escape(command_id)
    parts = ["<rsp:ReceiveResponse>"]
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        if data:
            encoded = base64.b64encode(data).decode("ascii")
            parts.append(f'<rsp:Stream Name="{name}" CommandId="{cid}">{encoded}</rsp:Stream>')
    if done:
        parts.append(f'<rsp:Stream Name="stdout" CommandId="{cid}" End="true"></rsp:Stream>')
        parts.append(f'<rsp:Stream Name="stderr" CommandId="{cid}" End="true"></rsp:Stream>')
        parts.append(
            f'<rsp:CommandState CommandId="{cid}" State="{STATE_DONE}">'
            f"<rsp:ExitCode>{int(exit_code if exit_code is not None else 0)}</rsp:ExitCode>"
            "</rsp:CommandState>"
        )
    else:
        parts.append(f'<rsp:CommandState CommandId="{cid}" State="{STATE_RUNNING}"></rsp:CommandState>')
    parts.append("</rsp:ReceiveResponse>")
    return _envelope(response_action("Receive"), request.message_id, "".join(parts))


RECEIVE_OVERHEAD = 2048  # bytes of a ReceiveResponse around the base64 of its streams


def fault_envelope(fault: WSManFault, machine: str) -> str:
    """A fault envelope (test_winrs_operation_timeout.yml, test_winrs_bad_cmd_id.yml,
    test_winrs_no_cmd_shell.yml). ``a:RelatesTo`` is left out only when the request's
    MessageID could not be read."""
    header = (
        f"<s:Header><a:Action>{FAULT_ACTION}</a:Action><a:MessageID>uuid:{new_id()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
    )
    if fault.relates_to:
        header += f"<a:RelatesTo>{escape(fault.relates_to)}</a:RelatesTo>"
    header += "</s:Header>"
    detail = ""
    if fault.fault_detail:
        detail += f"<w:FaultDetail>{escape(fault.fault_detail)}</w:FaultDetail>"
    message = escape(fault.message)
    if fault.provider:
        name, path = fault.provider
        message = (
            f"<f:ProviderFault provider={quoteattr(name)} path={quoteattr(path)}>{message}</f:ProviderFault>"
        )
    detail += (
        f'<f:WSManFault xmlns:f="{NS_F}" Code="{fault.wsman_code}" Machine={quoteattr(machine)}>'
        f"<f:Message>{message}</f:Message></f:WSManFault>"
    )
    body = (
        f"<s:Fault><s:Code><s:Value>{fault.code}</s:Value><s:Subcode><s:Value>{fault.subcode}"
        f"</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">{escape(fault.reason)}"
        f"</s:Text></s:Reason><s:Detail>{detail}</s:Detail></s:Fault>"
    )
    return f"{_FAULT_ENV_OPEN}{header}<s:Body>{body}</s:Body></s:Envelope>"
