"""JSON log lines on stdout (`--json-logs`), written by a small thread so that a slow pipe
never blocks the core loop or the Qt thread."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from typing import Any, TextIO


class JsonLog:
    """`emit("ready", url=...)` → `{"event": "ready", "at": ..., "url": ...}` on one line."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self._stream = stream
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if enabled:
            self._thread = threading.Thread(target=self._run, name="json-log", daemon=True)
            self._thread.start()

    def emit(self, event: str, **fields: Any) -> None:
        if not self.enabled:
            return
        line = json.dumps({"event": event, "at": time.time(), **fields}, default=str)
        self._queue.put(line)

    def _run(self) -> None:
        stream = self._stream or sys.stdout
        while True:
            line = self._queue.get()
            if line is None:
                return
            try:
                stream.write(line + "\n")
                stream.flush()
            except (OSError, ValueError):
                return

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=2.0)
            self._thread = None
