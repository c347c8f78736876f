"""Where a relay keeps the sale's history: Redis Streams (shared by nodes) or local memory.

One stream per sale; entry id `{seq}-0`, so Redis itself keeps entries in `seq` order and a
second append of a `seq` is refused (dedupe by seq). Appends run as one Lua script that also
fences epochs and checks the hash chain, so two nodes (or two stages) can never interleave.

Keys, with P = `auctionmen:relay:{sale}:`
  P stream   the records (fields `h` hash, `r` record JSON)
  P meta     hash: epoch, instance (the stage holding the sale), last_seq, last_hash
  P state    the last public snapshot the stage pushed
  P link     id of the node holding the stage link (expires unless refreshed)
  P bids     remote bids waiting for the link holder (list)
  P reply:N  the stage's answers for node N (list)
  P nodes    hash: node id -> "subscribers:unix time"
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from hub.journal.records import Record
from hub.relay.protocol import record_to_json

T = TypeVar("T")


class StoreUnavailable(Exception):
    """The shared history cannot be written now (Redis down); the caller retries later."""


_WRITE_ATTEMPTS = 4  # a pool holds a few connections, each may be dead after a restart

JSON = dict[str, Any]
GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Claim:
    ok: bool
    reason: str  # "" | "stale_epoch"
    epoch: int  # the highest epoch seen for the sale
    last_seq: int
    last_hash: str


class Store(Protocol):
    shared: bool

    async def claim(self, epoch: int, instance: str) -> Claim: ...

    async def append(self, epoch: int, instance: str, record: Record) -> tuple[str, int]:
        """("ok" | "dup" | "gap" | "fenced" | "conflict", last stored seq)."""
        ...

    async def head(self) -> tuple[int, str, int]:
        """(last_seq, last_hash, epoch)."""
        ...

    async def read(self, after: int, count: int, block: float) -> list[tuple[int, str]]:
        """Up to `count` (seq, record JSON) with seq > after, waiting up to `block` s."""
        ...

    async def set_state(self, state: str) -> None: ...

    async def get_state(self) -> str | None: ...

    async def close(self) -> None: ...


_CLAIM = """
local cur = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
local e = tonumber(ARGV[1])
local inst = redis.call('HGET', KEYS[1], 'instance')
local last = redis.call('HGET', KEYS[1], 'last_seq') or '0'
local lh = redis.call('HGET', KEYS[1], 'last_hash') or ARGV[3]
if e < cur or (e == cur and inst and inst ~= ARGV[2]) then
  return {0, cur, last, lh}
end
redis.call('HSET', KEYS[1], 'epoch', e, 'instance', ARGV[2])
return {1, e, last, lh}
"""

_APPEND = """
local cur = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
local inst = redis.call('HGET', KEYS[2], 'instance')
if tonumber(ARGV[1]) ~= cur or inst ~= ARGV[2] then
  return {'fenced', cur}
end
local last = tonumber(redis.call('HGET', KEYS[2], 'last_seq') or '0')
local seq = tonumber(ARGV[3])
if seq <= last then
  local e = redis.call('XRANGE', KEYS[1], ARGV[3] .. '-0', ARGV[3] .. '-0')
  if #e > 0 then
    local f = e[1][2]
    for i = 1, #f, 2 do
      if f[i] == 'h' and f[i + 1] ~= ARGV[4] then return {'conflict', last} end
    end
  end
  return {'dup', last}
end
if seq ~= last + 1 then return {'gap', last} end
local lh = redis.call('HGET', KEYS[2], 'last_hash') or ARGV[7]
if last > 0 and lh ~= ARGV[5] then return {'conflict', last} end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[8], ARGV[3] .. '-0', 'h', ARGV[4], 'r', ARGV[6])
redis.call('HSET', KEYS[2], 'last_seq', seq, 'last_hash', ARGV[4])
return {'ok', seq}
"""


class RedisStore:
    """The shared history (redis-py asyncio). One instance per worker process."""

    shared = True

    def __init__(self, url: str, sale: str, maxlen: int = 1_000_000) -> None:
        import redis.asyncio as aredis
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self._dead_connection = (RedisConnectionError, RedisTimeoutError)
        self.sale = sale
        self.prefix = f"auctionmen:relay:{sale}:"
        self.maxlen = maxlen
        self.redis: Any = aredis.Redis.from_url(
            url, decode_responses=True, health_check_interval=10
        )
        self._claim = self.redis.register_script(_CLAIM)
        self._append = self.redis.register_script(_APPEND)

    def key(self, name: str) -> str:
        return self.prefix + name

    async def _write(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run a write; after a dead connection, drop the idle pool and run it again.

        A restarted (or failed-over) Redis leaves every pooled connection dead, and redis-py
        fails the first command on each: a remote bid's answer would be lost. Every write
        here is safe to repeat (the append dedupes by seq, replies are matched by id).
        """
        attempt = 1
        while True:
            try:
                return await op()
            except self._dead_connection as exc:
                if attempt == _WRITE_ATTEMPTS:
                    raise StoreUnavailable(f"redis: {exc}") from exc
            await self.redis.connection_pool.disconnect(inuse_connections=False)
            await asyncio.sleep(0.05 * attempt)
            attempt += 1

    async def claim(self, epoch: int, instance: str) -> Claim:
        ok, cur, last, lh = await self._write(
            lambda: self._claim(keys=[self.key("meta")], args=[epoch, instance, GENESIS_HASH])
        )
        return Claim(bool(ok), "" if ok else "stale_epoch", int(cur), int(last), str(lh))

    async def append(self, epoch: int, instance: str, record: Record) -> tuple[str, int]:
        payload = json.dumps(record_to_json(record), separators=(",", ":"))
        status, last = await self._write(
            lambda: self._append(
                keys=[self.key("stream"), self.key("meta")],
                args=[
                    epoch,
                    instance,
                    record.seq,
                    record.hash,
                    record.prev_hash,
                    payload,
                    GENESIS_HASH,
                    self.maxlen,
                ],
            )
        )
        return str(status), int(last)

    async def head(self) -> tuple[int, str, int]:
        meta = await self.redis.hgetall(self.key("meta"))
        return (
            int(meta.get("last_seq", 0)),
            meta.get("last_hash", GENESIS_HASH),
            int(meta.get("epoch", 0)),
        )

    async def read(self, after: int, count: int, block: float) -> list[tuple[int, str]]:
        ms = max(1, int(block * 1000)) if block > 0 else None
        got = await self.redis.xread({self.key("stream"): f"{after}-0"}, count=count, block=ms)
        out: list[tuple[int, str]] = []
        for _, entries in got or ():
            for entry_id, fields in entries:
                out.append((int(entry_id.split("-", 1)[0]), fields["r"]))
        return out

    async def range(self, after: int, until: int, count: int) -> list[tuple[int, str]]:
        entries = await self.redis.xrange(
            self.key("stream"), f"({after}-0", f"{until}-0", count=count
        )
        return [(int(i.split("-", 1)[0]), f["r"]) for i, f in entries]

    async def set_state(self, state: str) -> None:
        await self._write(lambda: self.redis.set(self.key("state"), state))

    async def get_state(self) -> str | None:
        value: str | None = await self.redis.get(self.key("state"))
        return value

    # -- who holds the stage link, and remote bids routed to it --------------------------

    async def hold_link(self, node: str, ttl: float) -> None:
        await self._write(lambda: self.redis.set(self.key("link"), node, px=int(ttl * 1000)))

    async def drop_link(self, node: str) -> None:
        if await self.redis.get(self.key("link")) == node:
            await self.redis.delete(self.key("link"))

    async def link_holder(self) -> str | None:
        value: str | None = await self.redis.get(self.key("link"))
        return value

    async def push_bid(self, request: JSON) -> None:
        await self._write(lambda: self.redis.rpush(self.key("bids"), json.dumps(request)))

    async def pop_bid(self, block: float) -> JSON | None:
        got = await self.redis.blpop([self.key("bids")], timeout=block)
        if not got:
            return None
        value: JSON = json.loads(got[1])
        return value

    async def push_reply(self, node: str, reply: JSON) -> None:
        key = self.key(f"reply:{node}")

        async def push() -> None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, json.dumps(reply))
                pipe.expire(key, 60)
                await pipe.execute()

        await self._write(push)

    async def pop_reply(self, node: str, block: float) -> JSON | None:
        got = await self.redis.blpop([self.key(f"reply:{node}")], timeout=block)
        if not got:
            return None
        value: JSON = json.loads(got[1])
        return value

    async def report_subscribers(self, node: str, count: int) -> None:
        value = f"{count}:{time.time():.3f}"
        await self._write(lambda: self.redis.hset(self.key("nodes"), node, value))

    async def forget_node(self, node: str) -> None:
        await self.redis.hdel(self.key("nodes"), node)

    async def subscribers(self, fresh: float = 10.0) -> int:
        now, total = time.time(), 0
        for value in (await self.redis.hgetall(self.key("nodes"))).values():
            count, _, at = value.partition(":")
            if now - float(at or 0) <= fresh:
                total += int(count)
        return total

    async def close(self) -> None:
        await self.redis.aclose()


class MemoryStore:
    """A lone node's history: the same rules as Redis, bounded, in this process."""

    shared = False

    def __init__(self, sale: str, maxlen: int = 50_000) -> None:
        self.sale = sale
        self._records: deque[tuple[int, str, str]] = deque(maxlen=maxlen)  # seq, hash, json
        self._epoch = 0
        self._instance: str | None = None
        self._last = 0
        self._last_hash = GENESIS_HASH
        self._state: str | None = None
        self._grew = asyncio.Condition()

    async def claim(self, epoch: int, instance: str) -> Claim:
        if epoch < self._epoch or (epoch == self._epoch and self._instance not in (None, instance)):
            return Claim(False, "stale_epoch", self._epoch, self._last, self._last_hash)
        self._epoch, self._instance = epoch, instance
        return Claim(True, "", epoch, self._last, self._last_hash)

    async def append(self, epoch: int, instance: str, record: Record) -> tuple[str, int]:
        if epoch != self._epoch or instance != self._instance:
            return "fenced", self._epoch
        if record.seq <= self._last:
            first = self._records[0][0] if self._records else self._last + 1
            if record.seq >= first and self._records[record.seq - first][1] != record.hash:
                return "conflict", self._last
            return "dup", self._last
        if record.seq != self._last + 1:
            return "gap", self._last
        if self._last > 0 and record.prev_hash != self._last_hash:
            return "conflict", self._last
        payload = json.dumps(record_to_json(record), separators=(",", ":"))
        self._records.append((record.seq, record.hash, payload))
        self._last, self._last_hash = record.seq, record.hash
        async with self._grew:
            self._grew.notify_all()
        return "ok", record.seq

    async def head(self) -> tuple[int, str, int]:
        return self._last, self._last_hash, self._epoch

    def _after(self, after: int, count: int) -> list[tuple[int, str]]:
        if not self._records or after >= self._last:
            return []
        first = self._records[0][0]
        start = max(0, after + 1 - first)
        return [(s, p) for s, _, p in list(self._records)[start : start + count]]

    async def read(self, after: int, count: int, block: float) -> list[tuple[int, str]]:
        got = self._after(after, count)
        if got or block <= 0:
            return got
        async with self._grew:
            try:
                await asyncio.wait_for(self._grew.wait_for(lambda: self._last > after), block)
            except TimeoutError:
                return []
        return self._after(after, count)

    async def set_state(self, state: str) -> None:
        self._state = state

    async def get_state(self) -> str | None:
        return self._state

    async def close(self) -> None:
        return None
