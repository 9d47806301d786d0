"""Run the collection's action plugins in-process, against a connection the test controls."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import action_loader, shell_loader
from ansible_collections.multipoint.wms.tests.unit.replies import REQUEST

Answer = Callable[[dict], "dict | tuple[int, bytes, bytes]"]


class ScriptedConnection:
    """A WinRM-like connection whose host answers each agent request with ``answer(request)``.

    It checks what a real host would rely on: the command line is the encoded bootstrap, stdin is
    ASCII with the request on its first line and the shipped agent after it.
    """

    transport = "winrm"
    allow_executable = False
    become = None

    def __init__(self, answer: Answer) -> None:
        self._shell = shell_loader.get("powershell")
        self.answer = answer
        self.requests: list[dict] = []
        self.command_lines: list[str] = []

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True):
        from ansible_collections.multipoint.wms.plugins.plugin_utils import _agent

        self.command_lines.append(cmd)
        script = base64.b64decode(cmd.split(" ")[-1]).decode("utf-16-le")
        assert script.splitlines() == [x.strip() for x in _agent.bootstrap_script().splitlines() if x.strip()]
        assert len(cmd) < 8191
        text = in_data.decode("ascii")
        first, rest = (text.split("\n", 1) + [""])[:2]
        assert rest == _agent.agent_script().rstrip("\n") + "\n"
        request = json.loads(first)
        REQUEST.validate(request)
        self.requests.append(request)
        out = self.answer(request)
        if isinstance(out, tuple):
            return out
        return 0, (json.dumps(out) + "\r\n").encode(), b""


def run_action(name: str, args: dict, connection, *, check_mode: bool = False, diff: bool = False,
               host: str = "mps-01") -> dict:
    """Run multipoint.wms.<name> once, as the task executor would, and return its result."""
    task = Task()
    task.args = dict(args)
    task.action = f"multipoint.wms.{name}"
    task.check_mode = check_mode
    task.diff = diff
    action = action_loader.get(
        f"multipoint.wms.{name}", task=task, connection=connection, play_context=PlayContext(),
        loader=DataLoader(), templar=None, shared_loader_obj=None,
    )
    return action.run(task_vars={"inventory_hostname": host})
