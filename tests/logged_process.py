"""A child process whose stdout is JSON log lines (read in a thread, matched by fields) and
whose stderr is kept: how the end-to-end tests follow `auctionmen` without reading pixels."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any


class LoggedProcess:
    wait_timeout = 15.0  # s: the default bound of `wait_for`
    stop_grace = 15.0  # s: how long SIGTERM is given before SIGKILL

    def __init__(
        self, argv: list[str], cwd: Path, env: dict[str, str], new_session: bool = False
    ) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=new_session,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                pass  # not a log line (a library's print): only JSON lines are matched

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(self, timeout: float | None = None, **match: object) -> dict[str, Any]:
        """The first JSON line (already seen or arriving) whose fields equal `match`."""
        timeout = self.wait_timeout if timeout is None else timeout
        for line in self.seen:
            if all(line.get(k) == v for k, v in match.items()):
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if all(line.get(k) == v for k, v in match.items()):
                return line
        raise AssertionError(
            f"no log line {match} in {timeout} s; stderr: {''.join(self.stderr[-30:])}"
        )

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)
