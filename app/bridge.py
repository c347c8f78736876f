"""The Qt side of the facade: core records and answers become queued Qt signals.

Signals are emitted from the core thread; because the bridge lives on the Qt thread, Qt
queues them (`Qt.QueuedConnection`), so the core never waits for the UI.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from app.facade import CoreThread
from app.i18n import _
from hub.auction.events import Actor
from hub.gavel import GavelStatus

log = logging.getLogger("auctionmen.ui")

T = TypeVar("T")
AnswerCallback = Callable[[Any], None]


class CoreBridge(QObject):
    """Records, gavel status, client counts and command answers as signals.

    Signals:
        records(list): staff wire bodies of one commit, in seq order.
        gavel_changed(object): a `GavelStatus`.
        clients_changed(int): connected SSE subscribers.
        relay_changed(object): the relay link's `RelayStatus`, or None without a relay.
        answered(object, object): (command, Answer) of a command sent through `submit`.
        failed(object, str): (command, error text) when a command could not be sequenced.
    """

    records = Signal(object)
    gavel_changed = Signal(object)
    clients_changed = Signal(int)
    relay_changed = Signal(object)
    answered = Signal(object, object)
    failed = Signal(object, str)
    _deliver = Signal(object, object)  # (callback, value), from any thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core: CoreThread | None = None
        self._deliver.connect(self._run_callback, Qt.ConnectionType.QueuedConnection)
        self._poll = QTimer(self)
        self._poll.setInterval(1000)
        self._poll.timeout.connect(self._poll_clients)
        self._clients = -1
        self._relay: Any = None

    # -- feeding (core thread) --------------------------------------------------------------

    def on_records(self, wires: list[dict[str, Any]]) -> None:
        """Pass as `CoreThread(on_records=...)`; runs on the core thread."""
        self.records.emit(wires)

    def on_gavel(self, status: GavelStatus) -> None:
        self.gavel_changed.emit(status)

    def attach(self, core: CoreThread) -> None:
        self.core = core
        self._poll.start()

    def detach(self) -> None:
        self._poll.stop()
        self.core = None

    # -- commands (Qt thread) ---------------------------------------------------------------

    def submit(
        self,
        command: dict[str, Any],
        on_answer: AnswerCallback | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Send a command (as `actor`, else whoever is signed in on the desktop); `answered`
        (and `on_answer`, on the Qt thread) follow."""
        core = self.core
        if core is None:
            self.failed.emit(command, "the core is not running")
            return
        try:
            future = core.submit(command, actor)
        except RuntimeError as exc:
            self.failed.emit(command, str(exc))
            return

        def done(f: concurrent.futures.Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                self.failed.emit(command, str(exc))
                return
            answer = f.result()
            self.answered.emit(command, answer)
            if on_answer is not None:
                self._deliver.emit(on_answer, answer)

        future.add_done_callback(done)

    def run(
        self,
        operation: Callable[[CoreThread], concurrent.futures.Future[T]],
        on_result: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Start a core operation, e.g. `bridge.run(CoreThread.bidder_rows, show)`: the
        success/failure halves run on the Qt thread. Without a running core, nothing happens
        (or `on_error` hears why)."""
        core = self.core
        try:
            if core is None:
                raise RuntimeError(_("the core is not running"))
            future = operation(core)
        except RuntimeError as exc:
            if on_error is not None:
                on_error(exc)
            return
        self.deliver(future, on_result, on_error)

    def deliver(
        self,
        future: concurrent.futures.Future[T],
        on_result: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """When a core future (from a `CoreThread` operation) is done, pass its result to
        `on_result` (or its exception to `on_error`) on the Qt thread."""

        def done(f: concurrent.futures.Future[Any]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                if on_error is not None:
                    self._deliver.emit(on_error, exc)
                else:
                    log.error("core job failed", exc_info=exc)
                return
            self._deliver.emit(on_result, f.result())

        future.add_done_callback(done)

    def later(self, callback: Callable[[Any], None], value: Any) -> None:
        """Run `callback(value)` on the Qt thread (callable from any thread)."""
        self._deliver.emit(callback, value)

    @Slot(object, object)
    def _run_callback(self, callback: Callable[[Any], None], value: Any) -> None:
        try:
            callback(value)
        except Exception:
            log.exception("a UI callback failed")

    def _poll_clients(self) -> None:
        self.run(CoreThread.hub_clients, self._set_clients, self._poll_failed)
        self.run(CoreThread.relay_status, self._set_relay, self._poll_failed)

    def _poll_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, RuntimeError):  # not running (yet, or any more): nothing to say
            log.error("core poll failed", exc_info=exc)

    def _set_relay(self, status: Any) -> None:
        if status != self._relay:
            self._relay = status
            self.relay_changed.emit(status)

    def _set_clients(self, n: int) -> None:
        if n != self._clients:
            self._clients = n
            self.clients_changed.emit(n)
