"""``wmssim`` (``python -m wmssim``) as an admin runs it: help, check, serve, state, reset, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent  # wmssim's own folder
SCENARIOS = PROJECT / "scenarios"
PASSWORD = "Cli-Test-Pass-42"

SMALL_FLEET = f"""
defaults: {{password: "{PASSWORD}", username: admin}}
hosts:
  - name: mps-2012
    generation: "2012"
    auth: basic
    sessions:
      - {{id: 2, user: alice, domain: LAB, station: 1, state: Active}}
      - {{id: 3, user: bob, domain: LAB, station: 2, state: Active}}
  - name: mps-2016
    auth: ntlm
    sessions: [{{id: 2, user: carol, domain: LAB, station: 1, state: Idle}}]
  - name: off-01
    faults: {{down: true}}
generate: {{count: 3, sessions_per_host: 5, seed: 11}}
"""


def wmssim(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wmssim", *args],
        capture_output=True, text=True, timeout=timeout, cwd=PROJECT,
    )


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_serve(tmp_path: Path, text: str) -> tuple[subprocess.Popen, Path]:
    """Start ``wmssim serve`` and wait until it has written the inventory."""
    scenario = tmp_path / "scenario.yml"
    scenario.write_text(text)
    inventory = tmp_path / "inventory.yml"
    process = subprocess.Popen(
        [sys.executable, "-m", "wmssim", "serve", "--scenario", str(scenario),
         "--inventory", str(inventory), "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT,
    )
    deadline = time.monotonic() + 60
    while not inventory.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            out, err = process.communicate()
            pytest.fail(f"wmssim serve did not write the inventory: rc={process.returncode}\n"
                        f"{out}\n{err}")
        time.sleep(0.05)
    return process, inventory


def stop(process: subprocess.Popen) -> int:
    """SIGTERM by the process's own id; wait for it to exit."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
        raise


# --- help and check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), ["MultiPoint", "serve", "state", "check", "scenario file (YAML)", "generate:",
              "faults keys", "examples:"]),
        (("serve",), ["--scenario", "--inventory", "--state-dir", "--log", "SIGTERM",
                      "wmssim_control", "UNREACHABLE", "0600"]),
        (("state",), ["--inventory", "--host", '"sessions"', '"messages"', '"commands"']),
        (("check",), ["--scenario", "summary", "Exit status", "generate:"]),
        (("reset",), ["--inventory", "--host"]),
    ],
)
def test_help_explains_each_command(args, words):
    result = wmssim(*args, "--help")
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout, word


def test_no_command_is_an_error():
    result = wmssim()
    assert result.returncode == 2
    assert "COMMAND" in result.stderr


def test_check_summarises_a_valid_scenario():
    result = wmssim("check", "--scenario", str(SCENARIOS / "classroom.yml"))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    assert "hosts: 4 (4 explicit, 0 generated)" in result.stdout
    assert "by generation: 2012 1, 2016 2, none 1" in result.stdout
    assert "by auth:       basic 1, https+ntlm 1, ntlm 2" in result.stdout
    assert "down=true: 1 host(s): mps-03" in result.stdout
    assert "Passw0rd!" not in result.stdout


def test_check_json(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(SMALL_FLEET)
    result = wmssim("check", "--scenario", str(path), "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["hosts"] == 6 and counts["generated"] == 3
    assert counts["sessions"] == 3 + 15
    assert counts["faults"] == {"down=true": ["off-01"]}


def test_check_rejects_a_bad_scenario_naming_the_key(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("hosts:\n  - {name: mps-01, faults: {down: perhaps}}\n")
    result = wmssim("check", "--scenario", str(path))
    assert result.returncode == 2
    assert "mps-01" in result.stderr and "faults.down" in result.stderr
    assert "true or false" in result.stderr


def test_serve_refuses_a_bad_scenario_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("hosts:\n  - {name: mps-01, colour: blue}\n")
    inventory = tmp_path / "inventory.yml"
    result = wmssim("serve", "--scenario", str(path), "--inventory", str(inventory))
    assert result.returncode == 2
    assert "unknown key 'colour'" in result.stderr
    assert not inventory.exists()


def test_state_without_a_running_fleet_says_so(tmp_path):
    with socket.socket() as sock:  # a port that surely has no listener once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(
        {"all": {"vars": {"wmssim_control": f"http://127.0.0.1:{port}/token"}}}))
    result = wmssim("state", "--inventory", str(inventory))
    assert result.returncode == 1
    assert "does not answer" in result.stderr
    inventory.write_text("all: {hosts: {a: {}}}\n")
    result = wmssim("state", "--inventory", str(inventory))
    assert result.returncode == 1 and "wmssim_control" in result.stderr


# --- serve, state, reset, stop --------------------------------------------------------------


def test_serve_state_and_sigterm(tmp_path):
    process, inventory = start_serve(tmp_path, SMALL_FLEET)
    try:
        data = yaml.safe_load(inventory.read_text())
        group_vars = data["all"]["vars"]
        assert group_vars["wmssim_pid"] == process.pid
        hosts = data["all"]["children"]["wms"]["hosts"]
        assert list(hosts) == ["mps-2012", "mps-2016", "off-01", "gen-001", "gen-002", "gen-003"]
        ports = {name: host_vars["ansible_port"] for name, host_vars in hosts.items()}
        for name, port in ports.items():
            assert listening(port) is (name != "off-01"), name
        assert hosts["mps-2012"]["ansible_winrm_transport"] == "basic"
        assert hosts["mps-2016"]["ansible_winrm_transport"] == "ntlm"
        assert hosts["mps-2012"]["wmssim_generation"] == "2012"

        result = wmssim("state", "--inventory", str(inventory))
        assert result.returncode == 0, result.stderr
        state = json.loads(result.stdout)["hosts"]
        assert list(state) == list(hosts)
        first = state["mps-2012"]
        assert first["generation"] == "2012"
        # Besides the scenario's sessions, a host has session 0 (services) and the listener.
        assert [(s["id"], s["user"], s["state"]) for s in first["sessions"] if s["user"]] == [
            (2, "alice", "Active"), (3, "bob", "Active")]
        assert first["messages"] == 0 and first["commands"] == 0
        assert isinstance(first["events"], list)
        assert state["off-01"]["down"] is True
        assert len([s for s in state["gen-002"]["sessions"] if s["user"]]) == 5
        assert PASSWORD not in result.stdout

        result = wmssim("state", "--inventory", str(inventory), "--host", "mps-2016",
                        "--host", "gen-001")
        assert result.returncode == 0, result.stderr
        assert list(json.loads(result.stdout)["hosts"]) == ["mps-2016", "gen-001"]
        result = wmssim("state", "--inventory", str(inventory), "--host", "nope")
        assert result.returncode == 1 and "nope" in result.stderr

        result = wmssim("reset", "--inventory", str(inventory), "--host", "mps-2016")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"reset": ["mps-2016"]}
        assert listening(ports["mps-2016"])
    finally:
        rc = stop(process)
    out, err = process.communicate()
    assert rc == 0, err
    assert "6 hosts" in out
    for port in ports.values():
        assert not listening(port)
    log = (tmp_path / "state" / "wmssim.log").read_text()
    assert "stopped" in log
    assert PASSWORD not in log + out + err


def test_sigint_stops_cleanly_too(tmp_path):
    process, inventory = start_serve(tmp_path, "hosts: [{name: only, auth: basic}]")
    port = yaml.safe_load(inventory.read_text())["all"]["children"]["wms"]["hosts"]["only"][
        "ansible_port"]
    assert listening(port)
    os.kill(process.pid, signal.SIGINT)
    assert process.wait(timeout=20) == 0
    process.communicate()
    assert not listening(port)


def test_help_names_every_scenario_key():
    """A setting a scenario can use is one an admin can find in ``wmssim --help``."""
    from wmssim.fleet import scenario

    text = wmssim("--help").stdout
    for rules in (scenario.HOST_RULES, scenario.SESSION_RULES, scenario.BEHAVIOUR_RULES, scenario.FAULT_RULES):
        for key in rules:
            assert key in text, key
