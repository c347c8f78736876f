"""Issue 17 benchmark: the hot lot. Every approved online bidder bids the same ask at once.

    .venv/bin/python -m tests.bench.bench_hotlot                       # 500 bidders, 5,000 subs
    .venv/bin/python -m tests.bench.bench_hotlot --bidders 1000 --subs 10000
    .venv/bin/python -m tests.bench.bench_hotlot --bidders 50 --subs 100 --rounds 3 --no-peer

A real ``auctionmen serve --demo`` (pinned to CPU0) with ``--subs`` room subscribers held by
load-generator processes (``fanout/loadgen.py``: kernel receive timestamps). ``--bidders``
online bidders, registered approved, each with its own keep-alive connection, live in
``--bidder-procs`` separate client processes (this file run with ``--client``: stdlib only,
raw sockets, ``SO_TIMESTAMPNS``), each bound to its own 127.0.x.2 source address as bidders on
other machines would be. A round: the driver tells every client process the ask and the seq;
each writes all its bids back to back (key ``bench:<its send time>:<round>``) and records the
kernel arrival time of each answer. Per round: exactly one 200, every other answer a 409 with
its reason and the state. The winner's event carries its key (``data.key``), so the room
subscribers time it from the winner's send (``fanout/loadgen.py``).

Printed: POST → answer p50/p99/max over every bid; the winner's event at the last (and first)
subscriber per round; accepted/refused counts by reason; the stage's CPU during the rounds.

The peer (``--peer``, default on): the same bidders and rounds against a minimal aiohttp
server (this file with ``--peer-server``) whose handler does one SQLite insert and commit
(WAL, ``synchronous=FULL``: one fsync) per request, compares the amount with the current high
in memory and answers JSON: the least any durable bid endpoint in Python does per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import socket
import struct
import sys
import time
from typing import Any

SO_TIMESTAMPNS: int = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS: int = getattr(socket, "SCM_TIMESTAMPNS", SO_TIMESTAMPNS)
_TIMESPEC = struct.Struct("@qq")
_ANC = socket.CMSG_SPACE(_TIMESPEC.size)
BID_PATH = "/api/sales/demo/bids"
GOAL_MS = 100.0


# ------------------------------------------------------------------------------ the client
class Conn:
    """One bidder's keep-alive connection and the answer being read."""

    __slots__ = ("body", "buf", "kt", "paddle", "sent", "sock", "token")

    def __init__(self, sock: socket.socket, paddle: str, token: str) -> None:
        self.sock = sock
        self.paddle = paddle
        self.token = token
        self.buf = b""
        self.sent = 0.0
        self.kt = 0.0
        self.body: bytes | None = None


def _answer(conn: Conn, data: bytes, kt: float) -> bool:
    """Add bytes to the answer being read; True once it is complete (Content-Length)."""
    conn.buf += data
    conn.kt = kt
    head, sep, rest = conn.buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if len(rest) < length:
        return False
    conn.body = head.split(b" ", 2)[1] + b" " + rest[:length]
    conn.buf = rest[length:]
    return True


def _kernel_time(anc: list[Any]) -> float:
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
            sec, nsec = _TIMESPEC.unpack_from(cdata)
            return float(sec + nsec * 1e-9)
    return time.time()


def client_round(conns: list[Conn], host: str, cmd: dict[str, Any]) -> list[list[Any]]:
    """Every connection sends its bid back to back; then read every answer (epoll)."""
    ep = select.epoll()
    by_fd: dict[int, Conn] = {}
    for conn in conns:
        conn.body = None
        body = json.dumps(
            {
                "lot": cmd["lot"],
                "amount": cmd["amount"],
                "seen_seq": cmd["seen_seq"],
                "key": f"bench:{time.time():.6f}:{cmd['k']}",
            }
        ).encode()
        request = (
            f"POST {cmd.get('path', BID_PATH)} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {conn.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        conn.sent = float(body.split(b"bench:")[1].split(b":")[0])
        conn.sock.sendall(request)
        by_fd[conn.sock.fileno()] = conn
        ep.register(conn.sock.fileno(), select.EPOLLIN)
    left = len(conns)
    deadline = time.monotonic() + float(cmd.get("timeout", 60))
    while left and time.monotonic() < deadline:
        for fd, _ in ep.poll(1.0):
            conn = by_fd[fd]
            try:
                data, anc, _, _ = conn.sock.recvmsg(65536, _ANC)
            except BlockingIOError:
                continue
            if not data:
                raise RuntimeError(f"paddle {conn.paddle}: the server closed the connection")
            if _answer(conn, data, _kernel_time(anc)):
                ep.unregister(fd)
                left -= 1
    ep.close()
    out: list[list[Any]] = []
    for conn in conns:
        if conn.body is None:
            out.append([conn.paddle, conn.sent, None, 0, "timeout", False])
            continue
        code, _, text = conn.body.partition(b" ")
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {}
        state = answer.get("state") if isinstance(answer, dict) else None
        has_state = isinstance(state, dict) and isinstance(state.get("lot"), dict)
        reason = "" if int(code) == 200 else str(answer.get("reason", code.decode()))
        out.append([conn.paddle, conn.sent, conn.kt, int(code), reason, has_state])
    return out


def client_main(args: argparse.Namespace) -> None:
    """A bidder process: connect every bidder, then answer the driver's rounds on stdin."""
    with open(args.tokens) as f:
        pairs: list[list[str]] = json.load(f)
    conns: list[Conn] = []
    for paddle, token in pairs:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if args.src:
            s.bind((args.src, 0))
        s.connect((args.host, args.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setblocking(False)
        conns.append(Conn(s, paddle, token))
    host = f"{args.host}:{args.port}"
    print(json.dumps({"ready": len(conns)}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            break
        print(json.dumps({"results": client_round(conns, host, cmd)}), flush=True)
    for conn in conns:
        conn.sock.close()


# ------------------------------------------------------------------------------ the peer
def peer_main(args: argparse.Namespace) -> None:
    """The peer server: aiohttp, one SQLite insert + commit (fsync) per bid, JSON answers."""
    import sqlite3

    from aiohttp import web

    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS bids (seq INTEGER PRIMARY KEY, body TEXT, ok INT)")
    high = {"amount": 0, "seq": 0}

    async def bid(request: web.Request) -> web.Response:
        body = await request.json()
        ok = int(body["amount"]) > high["amount"]
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute("INSERT INTO bids (body, ok) VALUES (?, ?)", (json.dumps(body), ok))
        db.execute("COMMIT")
        state = {"seq": cur.lastrowid, "lot": {"high": high["amount"], "ask": high["amount"] + 1}}
        if ok:
            high["amount"] = int(body["amount"])
            return web.json_response({"ok": True, "seq": cur.lastrowid, "state": state})
        return web.json_response({"reason": "already_bid", "state": state}, status=409)

    app = web.Application()
    app.router.add_post(BID_PATH, bid)

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        port = runner.addresses[0][1]
        print(json.dumps({"event": "serving", "url": f"http://127.0.0.1:{port}"}), flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(serve())
    except ImportError:
        asyncio.run(serve())


# ------------------------------------------------------------------------------ the driver
async def amain(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from tests.bench.fanout.common import (
        PYTHON,
        Child,
        Children,
        Dist,
        Loadgens,
        cpu_s,
        load_note,
        pin,
        raise_nofile,
        table,
    )
    from tests.bench.fanout.stage import ROOM_PATH, StageClient

    raise_nofile()
    if args.profile:
        _profile_stage(args.profile)
    stage_cpu, side_cpu = (0, 1) if args.pin else (None, None)
    if args.pin:
        pin(0, 1)
    print(
        f"bench_hotlot: {args.bidders} bidders × {args.rounds} rounds, {args.subs:,} subscribers,"
        f" {args.bidder_procs} bidder processes, pinned={args.pin}; {load_note()}",
        flush=True,
    )
    children = Children()
    rows: list[list[str]] = []
    bad = False
    with tempfile.TemporaryDirectory(prefix="bench-hotlot-") as d:
        tmp = Path(d)
        try:
            stage = await StageClient.start(children, tmp, stage_cpu)
            paddles = [str(20000 + i) for i in range(args.bidders)]
            await register(stage, paddles)
            tokens = mint_tokens(stage.data_dir, paddles)
            await stage.command(
                {
                    "op": "add_lot",
                    "lot": {"id": "HOT", "title": "The hot lot", "start": 1000},
                    "reason": "bench lot",
                }
            )
            await stage.command({"op": "open_lot", "lot": "HOT"})
            gens = Loadgens(children, tmp, side_cpu)
            if args.subs:
                await gens.add(args.subs, args.loadgens, stage.port, ROOM_PATH)
            clients = await start_clients(children, tmp, stage.port, tokens, args, side_cpu)
            await asyncio.sleep(1.0)
            ours = await hot_rounds(stage, clients, gens, args, cpu_s, ask_from_stage)
            bad |= ours.print_and_check("ours", Dist)
            rows.append(ours.row("auctionmen serve", Dist))
            for c in clients:
                await c.send({"cmd": "quit"})
            await gens.close()
            await stage.close()
            if args.peer:
                peer = children.add(
                    await Child.spawn(
                        "peer",
                        [
                            PYTHON,
                            "-m",
                            "tests.bench.bench_hotlot",
                            "--peer-server",
                            "--db",
                            str(tmp / "peer.db"),
                        ],
                        stderr=tmp / "peer.stderr",
                    )
                )
                pin(peer.pid, stage_cpu)
                line = await peer.line(30)
                port = int(str(line["url"]).rsplit(":", 1)[1])
                clients = await start_clients(children, tmp, port, tokens, args, side_cpu)
                peer_run = await hot_rounds(_PeerStage(peer.pid), clients, None, args, cpu_s, None)
                rows.append(peer_run.row("peer: aiohttp + 1 SQLite fsync per bid", Dist))
                for c in clients:
                    await c.send({"cmd": "quit"})
        finally:
            await children.stop_all()
    print()
    print("Bid POST → answer (every bid), winner's send → its event at the last subscriber (ms)")
    print(
        table(
            [
                "server",
                "bids",
                "POST → answer p50 / p99 / max",
                "winner → last sub",
                "winner → first sub",
                "accepted",
                "refused",
                "CPU ms / bid",
            ],
            rows,
        )
    )
    print(f"goal: both p99 ≤ {GOAL_MS:g} ms; after: {load_note()}")
    return 1 if bad else 0


def _profile_stage(out: str) -> None:
    """Run the stage under cProfile (written to `out` when it stops): for finding hotspots,
    never for the figures (the profiler multiplies the cost of every call)."""
    import tests.bench.fanout.stage as stage_mod
    from tests.bench.fanout.common import PYTHON

    code = (
        "import cProfile, sys; from app.cli import main; "
        f"sys.argv = ['auctionmen'] + sys.argv[1:]; cProfile.run('main()', {out!r})"
    )
    stage_mod.auctionmen = lambda: [PYTHON, "-c", code]


class _PeerStage:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.child = self


async def register(stage: Any, paddles: list[str]) -> None:
    """Every bench bidder registered online and approved (no credit limit), 8 at a time."""
    sem = asyncio.Semaphore(8)

    async def one(paddle: str) -> None:
        async with sem:
            await stage.command(
                {
                    "op": "register_bidder",
                    "paddle": paddle,
                    "channel": "online",
                    "status": "approved",
                }
            )

    await asyncio.gather(*(one(p) for p in paddles))


def mint_tokens(data_dir: Any, paddles: list[str]) -> list[list[str]]:
    """Bidder tokens signed with the stage's own key (what `auctionmen token` does)."""
    from hub.config import StageConfig
    from hub.gateway.tokens import TokenIssuer, load_or_create_key

    issuer = TokenIssuer(load_or_create_key(data_dir), StageConfig().sale_iri_base)
    return [[p, issuer.issue("bidder", "demo", paddle=p, ttl=3600)] for p in paddles]


async def start_clients(
    children: Any, tmp: Any, port: int, tokens: list[list[str]], args: Any, cpu: int | None
) -> list[Any]:
    from tests.bench.fanout.common import PYTHON, Child, pin

    # At most 200 bidders per process and source address: the stage's guard allows 256
    # unfinished requests per client address (bidders on other machines have their own).
    procs = max(1, args.bidder_procs, -(-len(tokens) // 200))
    out = []
    for i in range(procs):
        share = tokens[i::procs]
        path = tmp / f"tokens-{port}-{i}.json"
        path.write_text(json.dumps(share))
        child = children.add(
            await Child.spawn(
                f"bidders{i}",
                [
                    PYTHON,
                    "-m",
                    "tests.bench.bench_hotlot",
                    "--client",
                    "--port",
                    str(port),
                    "--tokens",
                    str(path),
                    "--src",
                    f"127.0.{100 + i}.2",
                ],
                stdin=True,
                stderr=tmp / "bidders.stderr",
            )
        )
        pin(child.pid, cpu)
        out.append(child)
    for child in out:
        await child.line(120)
    return out


async def ask_from_stage(stage: Any) -> tuple[int, int]:
    """The hot lot's ask and the sale's seq, as a bidder's page would read them."""
    assert stage.session is not None
    async with stage.session.get(f"{stage.url}/api/sales/demo/state") as resp:
        snap = await resp.json()
    return int(snap["lot"]["ask"]), int(snap["seq"])


class Run:
    """What one server's rounds gave."""

    def __init__(self) -> None:
        self.answers: list[float] = []
        self.accepted_per_round: list[int] = []
        self.refused: dict[str, int] = {}
        self.stateless = 0
        self.winners: list[int] = []
        self.last: list[float] = []
        self.first_text = "–"
        self.cpu_s = 0.0
        self.bids = 0
        self.delivered = True

    def row(self, name: str, dist: Any) -> list[str]:
        return [
            name,
            f"{self.bids}",
            dist.of(self.answers).ms(),
            dist.of(self.last).ms() if self.last else "–",
            self.first_text,
            f"{sum(self.accepted_per_round)} ({'/'.join(map(str, self.accepted_per_round))})",
            ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items())) or "0",
            f"{self.cpu_s * 1e3 / max(1, self.bids):.2f}",
        ]

    def print_and_check(self, name: str, dist: Any) -> bool:
        bad = any(n != 1 for n in self.accepted_per_round) or self.stateless > 0
        bad |= not self.delivered
        if bad:
            print(
                f"{name}: CHECK FAILED accepted per round {self.accepted_per_round}, "
                f"refusals without state {self.stateless}, delivered {self.delivered}",
                flush=True,
            )
        return bad


async def hot_rounds(
    stage: Any, clients: list[Any], gens: Any, args: Any, cpu_s: Any, ask: Any
) -> Run:
    run = Run()
    amount, seq = (await ask(stage)) if ask else (1000, 0)
    for k in range(args.rounds):
        c0 = cpu_s(stage.child.pid)
        cmd = {"cmd": "round", "k": k, "lot": "HOT", "amount": amount, "seen_seq": seq}
        for c in clients:
            await c.send(cmd)
        results = [r for c in clients for r in (await c.line(120))["results"]]
        winners = [r for r in results if r[3] == 200]
        run.accepted_per_round.append(len(winners))
        run.bids += len(results)
        for _paddle, sent, got, status, reason, has_state in results:
            if got is not None:
                run.answers.append(got - sent)
            if status != 200:
                run.refused[reason] = run.refused.get(reason, 0) + 1
                run.stateless += not has_state
        if gens is not None and gens.n and winners:
            run.delivered &= await gens.wait([k], 30)
        run.cpu_s += cpu_s(stage.child.pid) - c0
        if ask is not None:
            amount, seq = await ask(stage)
        else:
            amount += 100
        await asyncio.sleep(args.pause)
    if gens is not None and gens.n:
        rep = await gens.report(list(range(args.rounds)))
        run.last = list(rep.per_k_last.values())
        run.first_text = rep.first.ms()
        run.delivered &= rep.delivered_ok
    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bidders", type=int, default=500)
    p.add_argument("--subs", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--bidder-procs", type=int, default=4)
    p.add_argument("--loadgens", type=int, default=2)
    p.add_argument("--pause", type=float, default=0.5, help="seconds between rounds")
    p.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--profile", default="", help="cProfile the stage into this file")
    p.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True)
    # the child modes
    p.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--peer-server", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--tokens", default="", help=argparse.SUPPRESS)
    p.add_argument("--src", default="", help=argparse.SUPPRESS)
    p.add_argument("--db", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.client:
        client_main(args)
        return
    if args.peer_server:
        peer_main(args)
        return
    try:
        sys.exit(asyncio.run(amain(args)))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
