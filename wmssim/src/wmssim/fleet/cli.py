"""The command line: ``wmssim serve | state | reset | check`` (also ``python -m wmssim``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from ..host.powershell import KnownAgent
from ..wire import logs
from .fleet import Fleet
from .scenario import Scenario, ScenarioError, load_scenario, summary

LOG = logging.getLogger("wmssim")
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

OVERVIEW = """\
wmssim simulates a fleet of Windows MultiPoint servers for testing, without Windows.

Each simulated host is a WinRM endpoint on 127.0.0.1 (its own port) that answers the real
client stack (ansible's winrm connection, pywinrm) over HTTP with Basic or NTLM (with message
encryption), or over HTTPS with a CA the simulator generates. Behind the endpoint a host model
keeps user sessions, runs the MultiPoint cmdlets of either generation (MultiPoint Server 2012 or
Windows Server 2016 MultiPoint Services) or none (a plain RDS host), and counts what it serves.
One process on one event loop serves every host, so hundreds of hosts fit on a small machine.

You describe the fleet in a scenario file (YAML), start it with `serve`, point ansible at the
inventory it writes, and read what happened to each host with `state`.
"""

SCENARIO_FORMAT = """\
scenario file (YAML):
  description: "what this scenario is for"      # optional
  defaults:              # every host gets these unless it sets them itself
    generation: "2016"   # "2012" | "2016" | "none" (no MultiPoint module: plain RDS host)
    auth: ntlm           # basic (HTTP) | ntlm (HTTP + message encryption) | https (TLS)
    https_auth: ntlm     # basic | ntlm: the authentication used inside TLS when auth is https
    username: admin
    password: "Passw0rd!"
    latency_ms: 0        # added to every HTTP round trip
    powershell_startup_ms: 500 # added to every command, as on real Windows (0: no cost)
    max_envelope_kb: 500       # WinRM MaxEnvelopeSizekb
    powershell_version: ""     # "2.0" | "3.0" | "4.0" | "5.1"; "": 3.0 for 2012, 5.1 otherwise
    language_mode: FullLanguage  # or ConstrainedLanguage (AppLocker/WDAC): the agent cannot run
    sessions: []         # sessions for hosts that list none of their own
    behaviour: {}        # where Microsoft's documentation is silent, see below
    faults: {}           # see below
  hosts:
    - name: mps-01       # letters, digits, '.', '_', '-'; becomes the inventory host name
      generation: "2012"
      computer_name: MPS01     # optional NetBIOS name; default: the name upper-cased
      sessions:
        - {id: 2, user: alice, domain: LAB, station: 1, admin: false, state: Active}
        - {id: 3, user: bob, domain: LAB, station: 0, client: PC-17, state: Disconnected}
      faults: {down: true}
  generate:              # optional: many more hosts, the same every time for the same seed
    count: 100
    sessions_per_host: 25      # or a range: [10, 30]; without it: the defaults' sessions
    seed: 7
    name_prefix: "gen-"        # hosts gen-001, gen-002, ...
    generations: {"2012": 0.3, "2016": 0.6, "none": 0.1}   # optional weights
    auths: {ntlm: 0.8, basic: 0.2}                          # optional weights
    states: {Active: 0.8, Idle: 0.1, Disconnected: 0.1}     # optional weights
    domain: LAB
    faults:                    # optional: a mapping for every generated host, or shares:
      - {share: 0.05, down: true}
      - {count: 2, module_missing: true}

session keys: id, user, domain, station (0 = remote, 1.. = local station), state,
  admin (true | false | "group": through a group the agent can expand | "unresolvable": through a
  group it cannot expand, so on the WTS API that user's and every non-admin's status is unknown)
  (Active, Connected, ConnectQuery, Shadow, Disconnected, Idle, Listen, Reset, Down, Init),
  client (remote computer name), win_station (default derived: Console, RDP-Tcp#<id>, ...).
behaviour keys: disconnected_listed (true|false), wms_state_when_disconnected ("unchanged" or a
  text), unknown_id (error|silent|terminating), already_disconnected (noop|error), module_name
  (MultiPoint|WmsCmdlets|WmsCmdlets3), module_autoload (true|false), module_kind (module|snapin),
  disconnect_ms, wms_unlisted (ids Get-WmsSession does not list), wms_output (per_session|
  collection), wms_id_type (int32|uint32|string), wms_user_mismatch (ids whose MultiPoint user
  name differs from WTS's), wts_query_non_user (ok|error: WTSQuerySessionInformation fails for
  Listen, Down, Init and Reset sessions).
faults keys: down, slow_ms, http_500 (Create|Command|Send|Receive|Signal|Delete), auth_failure,
  module_missing, access_denied, message_denied (only WTSSendMessage is denied), disconnect_hangs,
  disconnect_noop, logoff_race (list of ids),
  id_reuse (list of {id, user, domain, admin}: after the agent's first read, that session's user
  logs off and this one logs on with the same id), garbage_stdout (prefix|replace), stdout_bom
  (true: stdout starts with a UTF-8 byte-order mark).
An unknown key or a bad value stops the simulator with a message naming the host and the key.
"""

EXAMPLES = """\
examples:
  wmssim check --scenario scenarios/classroom.yml
  wmssim serve --scenario scenarios/classroom.yml --inventory .demo/inventory.yml &
  ansible -i .demo/inventory.yml wms -m ansible.builtin.raw -a 'Get-WmsSession -All | ConvertTo-Json'
  wmssim state --inventory .demo/inventory.yml --host mps-01
  kill -TERM <the wmssim_pid shown in the inventory>
"""

SERVE_HELP = """\
Start every host of the scenario, write the Ansible inventory once all of them listen, then run
until SIGINT (Ctrl-C) or SIGTERM; then stop every host, remove the credential files it made and
exit 0.

The inventory puts every host in the group `wms` with ansible_host 127.0.0.1, its ansible_port,
ansible_user, ansible_password, ansible_connection winrm and the ansible_winrm_* settings it
needs (transport, scheme, message encryption; CA validation for https hosts). all.vars holds
wmssim_control (the control endpoint `state` reads) and wmssim_pid (the process to stop). Each
host also gets wmssim_generation and wmssim_auth. A host with faults.down gets a port on which
nothing listens, so ansible reports it UNREACHABLE. The inventory holds passwords: it is
written with mode 0600.
"""

STATE_HELP = """\
Print, as JSON, what every host of a running fleet looks like now:
  {"hosts": {"<name>": {"generation": ..., "sessions": [{"id": .., "user": .., "state": ..}, ...],
   "events": [...], "messages": <WS-Man messages served>, "commands": <commands run>,
   "port": .., "auth": .., "down": ..}}}
"sessions" lists every session by id, with its connect state (Active, Disconnected, ...) and
MultiPoint details; like Windows, a host also has session 0 (services) and the RDP listener
(65536), which have no user. "events" lists what changed: {"session", "from", "to", "cause",
"kind", "time"}. It finds the fleet through wmssim_control in the inventory `serve` wrote.
"""

CHECK_HELP = """\
Read and check a scenario without serving it, and print a summary: hosts by generation and
authentication, sessions by state, and which hosts have faults or non-default behaviour.
Exit status 0 when the scenario is valid, 2 (with a message naming the key) when it is not.
"""

RESET_HELP = """\
Put hosts of a running fleet back as the scenario describes them: sessions, events and
counters start again. Clients connected at that moment lose their connection.
"""


def add_fleet_arguments(command: argparse.ArgumentParser) -> None:
    """The options of a command that talks to a running fleet: which fleet, which hosts."""
    command.add_argument("--inventory", required=True, metavar="FILE", help="the inventory `serve` wrote")
    command.add_argument("--host", action="append", metavar="NAME", help="only this host (repeat for more)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="wmssim",
        description=OVERVIEW,
        epilog=SCENARIO_FORMAT + "\n" + EXAMPLES,
        formatter_class=formatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve a scenario's hosts and write an Ansible inventory",
        description=SERVE_HELP,
        epilog=SCENARIO_FORMAT + "\n" + EXAMPLES,
        formatter_class=formatter,
    )
    serve.add_argument("--scenario", required=True, metavar="FILE", help="the scenario (YAML)")
    serve.add_argument(
        "--inventory", required=True, metavar="OUT.yml",
        help="where to write the Ansible inventory (replaced atomically once every host listens)",
    )
    serve.add_argument(
        "--state-dir", metavar="DIR",
        help="folder the fleet owns for its log and TLS files "
        "(default: next to the inventory, named <inventory name>.wmssim)",
    )
    serve.add_argument(
        "--log", metavar="FILE",
        help="log file (default: wmssim.log in the state folder); passwords are never logged",
    )
    serve.add_argument(
        "--agent-bootstrap", metavar="FILE",
        help="the agent's bootstrap script: only this exact command line starts the agent "
        "(default: any encoded script that reads stdin)",
    )
    serve.add_argument(
        "--agent-script", metavar="FILE",
        help="the agent script: only this exact script on stdin is run as the agent "
        "(default: any script whose first line is the agent's marker, '# multipoint.wms agent')",
    )
    serve.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error"),
        help="how much to log (default: info)",
    )

    state = commands.add_parser(
        "state",
        help="print the state of a running fleet's hosts as JSON",
        description=STATE_HELP,
        formatter_class=formatter,
    )
    add_fleet_arguments(state)

    reset = commands.add_parser(
        "reset",
        help="put a running fleet's hosts back as the scenario describes them",
        description=RESET_HELP,
        formatter_class=formatter,
    )
    add_fleet_arguments(reset)

    check = commands.add_parser(
        "check",
        help="check a scenario file and summarise it",
        description=CHECK_HELP,
        epilog=SCENARIO_FORMAT,
        formatter_class=formatter,
    )
    check.add_argument("--scenario", required=True, metavar="FILE", help="the scenario (YAML)")
    check.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "state":
        return control_call(args.inventory, "state", args.host, method="GET")
    if args.command == "reset":
        return control_call(args.inventory, "reset", args.host, method="POST")
    return check(args)


# --- serve ----------------------------------------------------------------------------------


def default_state_dir(inventory: Path) -> Path:
    """``<folder of the inventory>/<inventory name without suffix>.wmssim``."""
    return inventory.parent / f"{inventory.stem}.wmssim"


def setup_logging(path: Path, level: str, secrets: list[str]) -> logging.Handler:
    """Log every wmssim logger to ``path``; passwords and auth tokens are masked in each record.

    The wire layer's loggers mask what they log themselves; the handler's filter masks the
    records of every other wmssim logger the same way, with the scenario's passwords registered.
    """
    for secret in secrets:
        logs.register_secret(secret)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(logs.RedactingFilter())
    LOG.addHandler(handler)
    LOG.setLevel(getattr(logging, level.upper()))
    LOG.propagate = False
    return handler


def serve(args: argparse.Namespace) -> int:
    """``wmssim serve``: load, start, write the inventory, run until a signal, stop."""
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"wmssim serve: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        known = known_agent(args.agent_bootstrap, args.agent_script)
    except OSError as exc:
        print(f"wmssim serve: cannot read the agent's files: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    inventory = Path(args.inventory)
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir(inventory)
    log_path = Path(args.log) if args.log else state_dir / "wmssim.log"
    passwords = sorted({spec.password for spec in scenario.hosts})
    setup_logging(log_path, args.log_level, passwords)
    LOG.info("wmssim serve: pid %d, scenario %s, %d hosts", os.getpid(), args.scenario,
             len(scenario.hosts))
    try:
        return asyncio.run(_serve(scenario, inventory, state_dir, log_path, known))
    except Exception as exc:
        LOG.exception("wmssim serve failed")
        print(f"wmssim serve: failed: {exc} (see {log_path})", file=sys.stderr)
        return EXIT_FAILED


def known_agent(bootstrap: str | None, script: str | None) -> KnownAgent | None:
    """The agent files ``serve`` was given, read once; None when it was given neither."""
    if bootstrap is None and script is None:
        return None
    read = lambda path: Path(path).read_text(encoding="utf-8-sig") if path else None  # noqa: E731
    return KnownAgent(bootstrap=read(bootstrap), script=read(script))


async def _serve(scenario: Scenario, inventory: Path, state_dir: Path, log_path: Path,
                 known: KnownAgent | None) -> int:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    fleet = Fleet(scenario.hosts, state_dir, known_agent=known)
    await fleet.start()
    try:
        if not stopping.is_set():
            fleet.write_inventory(inventory)
            down = sum(1 for served in fleet.hosts.values() if served.down)
            LOG.info("inventory written to %s", inventory)
            print(
                f"wmssim: {len(fleet.hosts)} hosts on 127.0.0.1 ({down} down) after "
                f"{fleet.start_seconds:.2f} s; inventory {inventory}; log {log_path}; "
                f"stop with: kill -TERM {os.getpid()}",
                flush=True,
            )
            await stopping.wait()
        LOG.info("signal received, stopping")
    finally:
        await fleet.stop()
    LOG.info("stopped")
    return EXIT_OK


# --- state / reset --------------------------------------------------------------------------


def control_url(inventory: str | Path) -> str:
    """The control endpoint recorded in an inventory that ``serve`` wrote."""
    with open(inventory, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    try:
        url = data["all"]["vars"]["wmssim_control"]
    except (KeyError, TypeError):
        raise ValueError(f"{inventory}: no all.vars.wmssim_control (not written by wmssim serve?)")
    if not isinstance(url, str) or not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"{inventory}: wmssim_control is not a 127.0.0.1 address")
    return url


def control_request(url: str, action: str, hosts: list[str] | None, method: str) -> Any:
    """Call the control endpoint; return its JSON; raise RuntimeError with a plain message."""
    query = "&".join(f"host={urllib.parse.quote(name)}" for name in hosts or [])
    request = urllib.request.Request(f"{url}/{action}" + (f"?{query}" if query else ""),
                                     method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            detail = json.load(exc).get("error", exc.reason)
        except ValueError:
            detail = exc.reason
        raise RuntimeError(f"the simulator answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RuntimeError(
            f"the simulator does not answer ({reason}); is `wmssim serve` still running?"
        ) from None


def control_call(inventory: str, action: str, hosts: list[str] | None, method: str) -> int:
    """``wmssim state`` and ``wmssim reset``: print the endpoint's JSON answer."""
    try:
        url = control_url(inventory)
        answer = control_request(url, action, hosts, method)
    except (OSError, ValueError, yaml.YAMLError, RuntimeError) as exc:
        print(f"wmssim {action}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    json.dump(answer, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


# --- check ----------------------------------------------------------------------------------


def check(args: argparse.Namespace) -> int:
    """``wmssim check``: validate a scenario and print its summary."""
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"wmssim check: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    counts = summary(scenario)
    if args.json:
        json.dump(counts, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"{scenario.source}: valid")
    if scenario.description:
        print(textwrap.fill(scenario.description, width=96, initial_indent="  ",
                            subsequent_indent="  "))
    print(f"hosts: {counts['hosts']} "
          f"({counts['explicit']} explicit, {counts['generated']} generated)")
    print("  by generation: " + _pairs(counts["by_generation"]))
    print("  by auth:       " + _pairs(counts["by_auth"]))
    print(f"sessions: {counts['sessions']}")
    if counts["sessions_by_state"]:
        print("  by state:      " + _pairs(counts["sessions_by_state"]))
    for title, key in (("faults", "faults"), ("behaviour (not the default)", "behaviour")):
        if not counts[key]:
            print(f"{title}: none")
            continue
        print(f"{title}:")
        for setting, names in counts[key].items():
            print(f"  {setting}: {len(names)} host(s): {_names(names)}")
    return EXIT_OK


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "none"


def _names(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
