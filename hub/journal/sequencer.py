"""The sequencer: the one task that changes auction state, journals it, then acknowledges.

Every command goes through `submit()` into one queue. A single asyncio task drains it in
batches (group commit: whatever queued up while the previous batch was committing, up to
`max_batch`; a lone command when idle), and for each batch:

1. `BEGIN IMMEDIATE` on the one writer connection;
2. per command, in order: idempotency check, `engine.decide`, then `engine.evolve` each event
   with the next seq (so later commands of the batch see earlier ones' effects), rendering its
   public and staff views and chaining its hash. A command with a public event (the bid that
   wins a hot lot) ends the transaction when others follow it: those form a second batch,
   written after the public event has been handed to the hub and the loop has let its
   fan-out start, so the room does not wait for 499 refusals to be decided and committed
   (the price: one more fsync per such batch). So does `batch_budget` of deciding
   (10 ms): a long batch is committed in parts, and the loop runs in between;
3. insert every event, the projections the batch dirtied and the keyed answers;
4. `COMMIT` (WAL + synchronous=FULL: durable on return);
5. only then answer: the accepted commands' futures first, then the `on_commit` listeners
   (the hub publishes), then the refused ones. Resolving a future only schedules its
   handler, so the public event's fan-out is queued ahead of the refusals' answers: when
   500 bidders hit one ask, the winning bid reaches the room before 499 refusals are
   written back.

Refused bid attempts are journaled one event each (`bid_refused`: who, what, why, with a
seq), in the same transaction as the rest of their batch: one or two fsyncs per burst, not
one per attempt. Such an event changes no state (`INERT`), so while a batch journals only those, the
lot and sale views are rendered and encoded once and reused (`_Views`): a refusal costs its
own small fields, not a fresh copy of the lot.

The SQLite calls run on the event loop thread on purpose: nobody on the loop can ever observe
an engine state that is not yet committed. A commit costs a WAL fsync (~0.1-1 ms on an SSD).

If a write fails (disk full, I/O error) the batch is rolled back, the engine is rebuilt from
the journal (the last committed state), every command of the batch is answered
`journal_unavailable`, and the sequencer pauses: new commands are refused at once, and a small
probe write is retried every `probe_interval` seconds until one commits; then it resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from hub.auction import reasons as R
from hub.auction.engine import Engine
from hub.auction.events import PUBLIC, STAFF, Actor, Decision, Event, canonical_json
from hub.journal.db import Connect, WriterLock, open_writer
from hub.journal.migrations import GENESIS
from hub.journal.records import SELECT_COLUMNS, Record, canonical_with, event_hash
from hub.journal.replay import load_engine

JSON = dict[str, Any]
log = logging.getLogger(__name__)

OK = "ok"
PAUSED = "paused"
STOPPED = "stopped"

CommitListener = Callable[[list[Record]], None]
StatusListener = Callable[["JournalStatus"], None]

_INSERT_EVENT = (
    "INSERT INTO events (seq, epoch, at, type, lot, actor, key, audience, bidders, data,"
    " public_view, staff_view, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_UPSERT_PROJECTION = "INSERT OR REPLACE INTO projections (key, json) VALUES (?, ?)"
_INSERT_ANSWER = "INSERT INTO answers (scope, key, seq, answer) VALUES (?, ?, ?, ?)"

INERT = frozenset({"bid_refused"})
"""Event types whose evolve step changes nothing any view shows (the record is the journal
row itself; `tests/gateway/test_hotlot_parts.py` checks it). Their view is
`{"type", "lot", "data"}` with the lot as it already was."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What a command's submitter gets back, once its batch has committed."""

    ok: bool
    reason: str | None
    message: str | None
    seq: int  # the last seq of its events, or the journal's seq when it produced none
    events: tuple[Record, ...]
    state: JSON  # {"seq", "sale": sale view, "lot": the command's lot (or current lot)}
    repeated: bool = False  # True: served from the idempotency table, not decided again
    # canonical_json(state) when the sequencer already had it ("" otherwise): the gateway
    # writes it into the HTTP answer as is instead of encoding the same lot 500 times.
    state_json: str = field(default="", compare=False, repr=False)

    def to_json(self) -> JSON:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "seq": self.seq,
            "seqs": [r.seq for r in self.events],
            "state": self.state,
        }

    def canonical(self) -> str:
        """canonical_json(self.to_json()), reusing `state_json` when there is one."""
        body = self.to_json()
        if not self.state_json:
            return canonical_json(body)
        return canonical_with(body, "state", self.state_json)


@dataclass(frozen=True, slots=True)
class JournalStatus:
    state: str  # "ok" | "paused" | "stopped"
    reason: str | None
    message: str | None
    queue_depth: int
    last_seq: int
    epoch: int


@dataclass(slots=True)
class _Pending:
    command: JSON
    actor: Actor
    key: str | None
    scope: str
    future: asyncio.Future[Answer]
    answer: Answer | None = None
    joined: bool = False  # a later command of a `submit_run`: never split from the one before


@dataclass(slots=True)
class _Batch:
    """What one transaction writes, built while deciding."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    answers: list[tuple[str, str, int, str]] = field(default_factory=list)


class _EvolveFailed(Exception):
    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.index = index
        self.cause = cause


_STOP = object()


class _Views:
    """The views one batch renders, each rendered and encoded once while only `INERT`
    events are applied (`changed()` forgets them when anything else is). Read-only: the
    same lot dict is shared by the records and answers that show it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lots: dict[tuple[str | None, str], tuple[JSON | None, str]] = {}
        self._sale: tuple[JSON, str] | None = None

    def changed(self) -> None:
        self._lots.clear()
        self._sale = None

    def lot(self, lot_id: str | None, audience: str) -> tuple[JSON | None, str]:
        hit = self._lots.get((lot_id, audience))
        if hit is None:
            render = self.engine.staff_lot if audience == STAFF else self.engine.public_lot
            view = render(lot_id)
            hit = self._lots[(lot_id, audience)] = (view, canonical_json(view))
        return hit

    def sale(self) -> tuple[JSON, str]:
        if self._sale is None:
            view = self.engine.sale_view()
            self._sale = (view, canonical_json(view))
        return self._sale

    def event(self, event: Event, audience: str) -> tuple[JSON, str]:
        """`engine.view(event, audience)` and its canonical JSON."""
        if event.type not in INERT or event.lot is None:
            view = self.engine.view(event, audience)
            return view, canonical_json(view)
        lot, lot_json = self.lot(event.lot, audience)
        view = {"type": event.type, "lot": lot, "data": event.data}
        return view, canonical_with(view, "lot", lot_json)

    def state(self, command: Any, actor: Actor) -> tuple[JSON, str]:
        """What an answer carries: the seq, the sale, the command's lot (or the current)."""
        engine = self.engine
        lot = command.get("lot") if isinstance(command, dict) else None
        lot_id = lot if isinstance(lot, str) and lot in engine.lots else engine.sale.current
        lot_view, lot_json = self.lot(lot_id, PUBLIC if actor.role == "bidder" else STAFF)
        sale, sale_json = self.sale()
        text = f'{{"lot":{lot_json},"sale":{sale_json},"seq":{engine.seq}}}'
        return {"seq": engine.seq, "sale": sale, "lot": lot_view}, text


def scope_of(actor: Actor) -> str:
    """Idempotency keys are per bidder (paddle) or per staff role: they never collide."""
    if actor.role == "bidder":
        return f"bidder/{actor.paddle}"
    return actor.role


class Sequencer:
    """Owns the journal's writer connection and the engine. Use from one event loop.

    :param path: the journal file (created and migrated if needed)
    :param clock: wall-clock source, passed to `decide` as `now` and stored as `at`
    :param max_batch: most commands per transaction (group commit)
    :param probe_interval: seconds between write probes while paused
    :param probe_bytes: size of the probe write (a tiny write could succeed where a batch
        would not)
    :param connect: opens the writer's connection (default `sqlite3.connect`; the power-loss
        test's simulated disk is the only other one)
    :param batch_budget: seconds of deciding after which a batch is committed and the loop
        gets a turn before the rest (a 50-lot import chunk or 500 refusals would otherwise
        hold the loop for tens of ms); measured on `work_clock`, never part of any decision
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        max_batch: int = 256,
        probe_interval: float = 0.5,
        probe_bytes: int = 16_384,
        connect: Connect | None = None,
        batch_budget: float = 0.010,
        work_clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.path = Path(path)
        self.batch_budget = batch_budget
        self.work_clock = work_clock
        self.clock = clock
        self.max_batch = max(1, max_batch)
        self.probe_interval = probe_interval
        self.probe_bytes = probe_bytes
        self._connect = connect
        self._lock = WriterLock(self.path)
        self._db: Database | None = None
        self._engine = Engine()
        self._queue: asyncio.Queue[_Pending | object] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._listeners: list[CommitListener] = []
        self._status_listeners: list[StatusListener] = []
        self._state = STOPPED
        self._reason: str | None = None
        self._message: str | None = None
        self._epoch = 0
        self._head = GENESIS
        self._needs_reload = False
        self.batches = 0  # committed transactions (for tests and the bench)
        self.max_batch_seen = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Open the journal, replay it into the engine, begin a new epoch, start the task."""
        if self._task is not None:
            raise RuntimeError("the sequencer is already running")
        self._lock.acquire()
        try:
            self._db = open_writer(self.path, self._connect)
            self._reload()
            conn = self._db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT INTO epochs (started_at) VALUES (?)", (float(self.clock()),)
                )
                self._refresh_projections(conn)
                conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            self._epoch = int(cur.lastrowid or 0)
        except BaseException:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._lock.release()
            raise
        self._stopping.clear()
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="journal-sequencer")
        self._set_status(OK, None, None)

    async def stop(self) -> None:
        """Finish every command queued so far, then close the journal. Idempotent."""
        task = self._task
        if task is None:
            return
        self._stopping.set()
        self._queue.put_nowait(_STOP)
        try:
            await task
        finally:
            self._task = None
            if self._db is not None:
                self._db.close()
                self._db = None
            self._lock.release()
            self._set_status(STOPPED, None, None)

    async def __aenter__(self) -> Sequencer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ public API

    async def submit(self, command: JSON, actor: Actor, key: str | None = None) -> Answer:
        """Sequence one command; returns once its events are committed (or it was refused).

        `key` (default: the command's own `"key"` field) makes a retry idempotent within the
        actor's scope: the same key gets the same answer, without being decided again.
        """
        if key is None and isinstance(command, dict) and isinstance(command.get("key"), str):
            key = command["key"]
        if self._task is None or self._stopping.is_set():
            return self._unavailable(command, actor, "the journal is not running")
        if self._state == PAUSED:
            return self._unavailable(command, actor, self._message or "the sale is paused")
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(command, actor, key, scope_of(actor), future))
        return await future

    async def submit_run(self, commands: list[JSON], actor: Actor) -> list[Answer]:
        """Sequence `commands` back to back, in order, answers in the same order: they enter
        the queue together, so no other command is decided between them (a run of numbered
        invoices checked against the state just before it stays valid). Group-committed like
        any other commands; a failed write refuses the rest of the run, never a middle."""
        if self._task is None or self._stopping.is_set():
            return [self._unavailable(c, actor, "the journal is not running") for c in commands]
        if self._state == PAUSED:
            message = self._message or "the sale is paused"
            return [self._unavailable(c, actor, message) for c in commands]
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Answer]] = []
        for command in commands:
            futures.append(loop.create_future())
            self._queue.put_nowait(
                _Pending(
                    command, actor, None, scope_of(actor), futures[-1], joined=bool(futures[1:])
                )
            )
        return list(await asyncio.gather(*futures))

    def add_listener(self, listener: CommitListener) -> Callable[[], None]:
        """Call `listener(records)` after every commit, on the loop, in seq order.

        Listeners run synchronously inside the sequencer task: they must not block or await
        (hand the records to a queue and return). An exception is logged and ignored.
        Returns a function that removes the listener.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_status_listener(self, listener: StatusListener) -> Callable[[], None]:
        """Call `listener(status)` whenever the storage state changes (ok/paused/stopped)."""
        self._status_listeners.append(listener)
        return lambda: self._status_listeners.remove(listener)

    @property
    def status(self) -> JournalStatus:
        return JournalStatus(
            self._state,
            self._reason,
            self._message,
            self._queue.qsize(),
            self._engine.seq,
            self._epoch,
        )

    @property
    def engine(self) -> Engine:
        """The live engine. Read it on the loop only, never mutate it."""
        return self._engine

    @property
    def db(self) -> Database:
        """The writer handle (tests and maintenance only: never write to it directly)."""
        if self._db is None:
            raise RuntimeError("the sequencer is not started")
        return self._db

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def last_seq(self) -> int:
        return self._engine.seq

    @property
    def head(self) -> str:
        """Hash of the last committed event (the chain head to anchor elsewhere)."""
        return self._head

    # ------------------------------------------------------------------ the task

    async def _run(self) -> None:
        try:
            await self._loop()
        except BaseException as exc:
            # Never leave submitters hanging: whatever killed the task, answer the queue.
            if not isinstance(exc, asyncio.CancelledError):
                log.exception("the sequencer task died")
            self._set_status(PAUSED, R.JOURNAL_UNAVAILABLE, f"the sequencer stopped: {exc!r}")
            self._refuse_queued()
            raise

    async def _loop(self) -> None:
        while True:
            if self._state == PAUSED:
                self._refuse_queued()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.probe_interval)
                if self._stopping.is_set():
                    self._refuse_queued()
                    return
                if self._probe():
                    log.warning("journal writes again: the sale resumes")
                    self._set_status(OK, None, None)
                continue
            item = await self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, _Pending)
            await self._settle()
            batch = [item]
            stop_after = False
            while len(batch) < self.max_batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is _STOP:
                    stop_after = True
                    break
                assert isinstance(nxt, _Pending)
                batch.append(nxt)
            rest = self._process(batch, cut=True)
            while rest:
                # What was just committed goes out first (the hub's flusher, HTTP answers
                # are ready), then the rest of the batch is decided and committed.
                await asyncio.sleep(0)
                rest = self._process(rest, cut=False)
            if stop_after:
                return

    async def _settle(self) -> None:
        """Let the commands already on their way join this batch before it is written.

        A burst reaches the loop as many requests read in the same few loop iterations; the
        first one wakes this task while the others are still being parsed. Yielding until
        two loop iterations in a row add nothing (no timer: a lone command waits two
        iterations, microseconds) lets them join, so 500 bids on one ask take one or two
        fsyncs instead of one per handful: the commit blocks the loop, and every extra one
        delays the whole burst.
        """
        size, quiet = self._queue.qsize(), 0
        while quiet < 2 and size < self.max_batch:
            await asyncio.sleep(0)
            now = self._queue.qsize()
            quiet = quiet + 1 if now == size else 0
            size = now

    def _refuse_queued(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, _Pending):
                self._resolve(
                    item,
                    self._unavailable(
                        item.command, item.actor, self._message or "the sale is paused"
                    ),
                )

    def _process(self, batch: list[_Pending], *, cut: bool) -> list[_Pending]:
        """Journal and answer `batch`; returns the commands it left for the next
        transaction. With `cut`, a command whose events include a public one ends the
        transaction when others follow it (step 2 of the module's docstring), and so does
        passing `batch_budget`."""
        excluded: dict[int, BaseException] = {}
        rest: list[_Pending] = []
        while True:
            try:
                records, done = self._write(batch, excluded, cut=cut)
                batch, rest = batch[:done], batch[done:]
                break
            except _EvolveFailed as failed:
                # An engine bug while applying an event: the in-memory state may be half
                # changed. Drop that command, rebuild, and run the rest of the batch again.
                log.exception("engine failed to apply an event", exc_info=failed.cause)
                excluded[failed.index] = failed.cause
                self._rollback()
                self._reload()
            except sqlite3.Error as exc:
                self._write_failed(batch, exc)
                return []
            except Exception as exc:  # a bug outside the engine: answer, never die
                log.exception("sequencer batch failed")
                self._rollback()
                self._reload()
                for pending in batch:
                    self._resolve(
                        pending,
                        self._unavailable(
                            pending.command, pending.actor, f"internal error: {exc!r}"
                        ),
                    )
                return []
        self.batches += 1
        self.max_batch_seen = max(self.max_batch_seen, len(batch))
        # Accepted first, then the listeners (the hub's fan-out is scheduled), then the
        # refused: see the module's docstring, step 5.
        refused: list[_Pending] = []
        for pending in batch:
            assert pending.answer is not None
            if pending.answer.ok:
                self._resolve(pending, pending.answer)
            else:
                refused.append(pending)
        if records:
            for listener in list(self._listeners):
                try:
                    listener(records)
                except Exception:
                    log.exception("on_commit listener %r failed", listener)
        for pending in refused:
            assert pending.answer is not None
            self._resolve(pending, pending.answer)
        return rest

    def _write(
        self, batch: list[_Pending], excluded: dict[int, BaseException], *, cut: bool = False
    ) -> tuple[list[Record], int]:
        """Decide, evolve and journal the batch in one transaction; returns the records and
        how many commands it took (all, unless `cut` ended it after a public event).
        Raises sqlite3.Error."""
        db = self.db
        conn = db.conn
        engine = self._engine
        head = self._head
        out = _Batch()
        taken = len(batch)
        started = self.work_clock()
        views = _Views(engine)
        answered: dict[tuple[str, str], Answer] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for index, pending in enumerate(batch):
                pending.answer = None
                if index in excluded:
                    pending.answer = self._answer(
                        Decision.refuse(
                            R.INVALID, f"the engine failed on this command: {excluded[index]!r}"
                        ),
                        (),
                        pending,
                        views,
                    )
                    continue
                if pending.key is not None:
                    prior = answered.get((pending.scope, pending.key)) or self._stored_answer(
                        pending.scope, pending.key
                    )
                    if prior is not None:
                        pending.answer = replace(prior, repeated=True)
                        continue
                now = float(self.clock())
                try:
                    decision = engine.decide(pending.command, pending.actor, now)
                except Exception as exc:  # an engine bug: decide never mutates, carry on
                    log.exception("engine failed to decide %r", pending.command)
                    decision = Decision.refuse(
                        R.INVALID, f"the engine failed on this command: {exc!r}"
                    )
                records: list[Record] = []
                for event in decision.events:
                    seq = engine.seq + 1
                    actor = pending.actor.to_json()
                    bidders = list(event.bidders)
                    try:
                        engine.evolve(event, seq)
                        if event.type not in INERT:
                            views.changed()
                        public_view, public_json = views.event(event, PUBLIC)
                        staff_view, staff_json = views.event(event, STAFF)
                        digest = event_hash(
                            head,
                            {
                                "seq": seq,
                                "epoch": self._epoch,
                                "at": now,
                                "type": event.type,
                                "lot": event.lot,
                                "actor": actor,
                                "key": pending.key,
                                "audience": event.audience,
                                "bidders": bidders,
                                "data": event.data,
                            },
                        )
                        out.events.append(
                            (
                                seq,
                                self._epoch,
                                now,
                                event.type,
                                event.lot,
                                canonical_json(actor),
                                pending.key,
                                event.audience,
                                canonical_json(bidders),
                                canonical_json(event.data),
                                public_json,
                                staff_json,
                                head,
                                digest,
                            )
                        )
                    except Exception as exc:
                        raise _EvolveFailed(index, exc) from exc
                    record = Record(
                        seq=seq,
                        epoch=self._epoch,
                        at=now,
                        type=event.type,
                        lot=event.lot,
                        actor=actor,
                        key=pending.key,
                        audience=event.audience,
                        bidders=tuple(bidders),
                        data=event.data,
                        public_view=public_view,
                        staff_view=staff_view,
                        prev_hash=head,
                        hash=digest,
                        sale=engine.sale.id,
                    )
                    records.append(record)
                    head = digest
                answer = self._answer(decision, tuple(records), pending, views)
                pending.answer = answer
                out.records.extend(records)
                if pending.key is not None:
                    answered[(pending.scope, pending.key)] = answer
                    out.answers.append((pending.scope, pending.key, answer.seq, answer.canonical()))
                if self._ends_here(
                    batch, index, started, cut and any(r.is_public for r in records)
                ):
                    taken = index + 1
                    break
            projections = [
                (key, canonical_json(engine.projection(key))) for key in sorted(engine.take_dirty())
            ]
            if out.events:
                conn.executemany(_INSERT_EVENT, out.events)
            if projections:
                conn.executemany(_UPSERT_PROJECTION, projections)
            if out.answers:
                conn.executemany(_INSERT_ANSWER, out.answers)
            conn.execute("COMMIT")
        except BaseException:
            # Rolled back here for sqlite errors too; the caller restores the engine.
            self._rollback()
            raise
        self._head = head
        return out.records, taken

    def _ends_here(self, batch: list[_Pending], index: int, started: float, public: bool) -> bool:
        """Does the transaction end after `batch[index]` (step 2 of the module's docstring)?
        Never inside a `submit_run` (it is all or nothing), never after the last command."""
        if index >= len(batch) - 1 or batch[index + 1].joined:
            return False
        return public or self.work_clock() - started > self.batch_budget

    def _answer(
        self, decision: Decision, records: tuple[Record, ...], p: _Pending, views: _Views
    ) -> Answer:
        state, state_json = views.state(p.command, p.actor)
        return Answer(
            ok=decision.ok,
            reason=decision.reason,
            message=decision.message,
            seq=records[-1].seq if records else self._engine.seq,
            events=records,
            state=state,
            state_json=state_json,
        )

    def _state_for(self, command: Any, actor: Actor) -> JSON:
        return _Views(self._engine).state(command, actor)[0]

    def _stored_answer(self, scope: str, key: str) -> Answer | None:
        conn = self.db.conn
        row = conn.execute(
            "SELECT answer FROM answers WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
        if row is None:
            return None
        raw = json.loads(row[0])
        seqs: list[int] = raw["seqs"]
        records: tuple[Record, ...] = ()
        if seqs:
            rows = conn.execute(
                f"SELECT {SELECT_COLUMNS} FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq",
                (seqs[0], seqs[-1]),
            ).fetchall()
            wanted = set(seqs)
            records = tuple(
                Record.from_row(r, self._engine.sale.id) for r in rows if r[0] in wanted
            )
        return Answer(
            raw["ok"],
            raw["reason"],
            raw["message"],
            raw["seq"],
            records,
            raw["state"],
            repeated=True,
        )

    # ------------------------------------------------------------------ failures

    def _write_failed(self, batch: list[_Pending], exc: sqlite3.Error) -> None:
        log.error("journal write failed, pausing the sale: %s", exc)
        self._rollback()
        try:
            self._reload()  # back to the last committed state
        except sqlite3.Error:
            self._needs_reload = True
        message = f"the journal cannot write: {exc}; the sale is paused"
        self._set_status(PAUSED, R.JOURNAL_UNAVAILABLE, message)
        for pending in batch:
            answer = pending.answer
            if answer is None or not answer.repeated:
                answer = self._unavailable(pending.command, pending.actor, message)
            self._resolve(pending, answer)

    def _probe(self) -> bool:
        """Try one small durable write; True once the journal takes writes again."""
        if self._db is None:
            return False
        conn = self._db.conn
        try:
            if self._needs_reload:
                self._reload()
                self._needs_reload = False
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR REPLACE INTO storage_probe (id, at, pad) VALUES (1, ?, zeroblob(?))",
                (float(self.clock()), self.probe_bytes),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            log.debug("journal still cannot write: %s", exc)
            return False
        return True

    def _rollback(self) -> None:
        if self._db is not None and self._db.conn.in_transaction:
            try:
                self._db.conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("ROLLBACK failed")

    def _refresh_projections(self, conn: sqlite3.Connection) -> None:
        """Make the stored projections equal to replay. They are a cache of it, and a journal
        written by an older version may hold them in an older shape (e.g. one `money` row),
        which `verify` would report as differing; the events, the legal record, are untouched."""
        engine = self._engine
        fresh = {key: canonical_json(engine.projection(key)) for key in engine.projection_keys()}
        stored = dict(conn.execute("SELECT key, json FROM projections").fetchall())
        changed = [(key, text) for key, text in fresh.items() if stored.get(key) != text]
        extra = [(key,) for key in stored if key not in fresh]
        if changed:
            conn.executemany(_UPSERT_PROJECTION, changed)
        if extra:
            conn.executemany("DELETE FROM projections WHERE key = ?", extra)
        if changed or extra:
            log.info(
                "projections refreshed from replay: %d rewritten, %d removed",
                len(changed),
                len(extra),
            )
        engine.take_dirty()

    def _reload(self) -> None:
        """Rebuild the engine from the journal, in place (holders of `.engine` stay valid)."""
        db = self.db
        fresh = load_engine(db)
        self._engine.__dict__.update(fresh.__dict__)
        row = db.conn.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self._head = row[0] if row else GENESIS

    def _unavailable(self, command: Any, actor: Actor, message: str) -> Answer:
        return Answer(
            False,
            R.JOURNAL_UNAVAILABLE,
            message,
            self._engine.seq,
            (),
            self._state_for(command, actor),
        )

    def _set_status(self, state: str, reason: str | None, message: str | None) -> None:
        if (state, reason, message) == (self._state, self._reason, self._message):
            return
        self._state, self._reason, self._message = state, reason, message
        status = self.status
        for listener in list(self._status_listeners):
            try:
                listener(status)
            except Exception:
                log.exception("status listener %r failed", listener)

    @staticmethod
    def _resolve(pending: _Pending, answer: Answer) -> None:
        if not pending.future.done():
            pending.future.set_result(answer)
