"""A command running in a simulated WinRS shell.

``shells`` (the wire side) creates one ``Process`` per WS-Man Command, feeds it stdin from Send
messages and drains its output for Receive messages. ``powershell`` (the host side) subclasses
it and produces output over time. Everything runs on the fleet's single asyncio event loop.
"""

from __future__ import annotations

import asyncio


class Process:
    """Output buffers, stdin and exit status of one command."""

    def __init__(self) -> None:
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._stdin = bytearray()
        self.stdin_closed = False
        self.exit_code: int | None = None
        self._changed = asyncio.Event()
        self._stdin_event = asyncio.Event()

    # --- used by the wire side -------------------------------------------------------------
    def feed_stdin(self, data: bytes, end: bool) -> None:
        """Append a Send message's bytes; ``end`` is the stream's End="true"."""
        self._stdin.extend(data)
        if end:
            self.stdin_closed = True
        self._stdin_event.set()

    async def wait_output(self, timeout: float) -> bool:
        """Wait until there is output to take or the command is done; False on timeout."""
        if self._stdout or self._stderr or self.exit_code is not None:
            return True
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def take_output(self) -> tuple[bytes, bytes, bool, int | None]:
        """Remove and return buffered stdout and stderr, whether the command is done, its rc."""
        out, err = bytes(self._stdout), bytes(self._stderr)
        self._stdout.clear()
        self._stderr.clear()
        done = self.exit_code is not None
        return out, err, done, self.exit_code

    def terminate(self) -> None:
        """Signal terminate (or Delete of the shell): stop the command if it still runs."""
        if self.exit_code is None:
            self.finish(-1073741510)  # STATUS_CONTROL_C_EXIT, as Windows reports a killed process

    # --- used by the host side -------------------------------------------------------------
    async def read_stdin(self) -> bytes:
        """Wait for the end of stdin and return all of it."""
        while not self.stdin_closed:
            self._stdin_event.clear()
            await self._stdin_event.wait()
        return bytes(self._stdin)

    def write(self, stream: str, data: bytes) -> None:
        """Make output available to the next Receive."""
        if self.exit_code is not None:
            return
        (self._stdout if stream == "stdout" else self._stderr).extend(data)
        self._changed.set()

    def finish(self, exit_code: int) -> None:
        """Mark the command as done with this exit code."""
        if self.exit_code is None:
            self.exit_code = exit_code
            self._stdin_event.set()
            self._changed.set()
