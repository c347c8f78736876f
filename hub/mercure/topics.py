"""Topic selectors: exact, ``*``, URI templates (RFC 6570, 0.x) and URL patterns (1.0).

Templates and patterns compile to a tiny regex AST. A pattern whose AST cannot backtrack
badly (every repeated class is followed by a literal outside the class) runs on Python's
``re``; anything else runs on a Thompson NFA simulation, linear in pattern x topic and capped
by a step budget (draft-08 S6 asks for a linear-time engine or a cost limit: we have both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

MATCH_STEP_BUDGET = 200_000
# An honest selector has a handful of wildcards; thousands of stacked ones cost each topic
# ~10^5 NFA steps of the event loop (found by fuzzing, issue 14), so such a selector is refused.
MAX_REPEATS = 64


class SelectorError(ValueError):
    """An invalid template or pattern (answered with 400)."""


# ---------------------------------------------------------------- regex AST + engines
# Nodes: ("lit", str) | ("cls", frozenset[str], negated) | ("seq", tuple) | ("alt", tuple)
#        | ("star", node) | ("plus", node) | ("opt", node)
Node = tuple[Any, ...]
ANY: Node = ("cls", frozenset(), True)


def _cls_re(node: Node) -> str:
    chars = "".join(sorted(node[1]))
    body = re.escape(chars) if chars else ""
    if node[2]:
        return f"[^{body}]" if body else "[\\s\\S]"
    return f"[{body}]"


def _to_re(node: Node) -> str:
    kind = node[0]
    if kind == "lit":
        return re.escape(node[1])
    if kind == "cls":
        return _cls_re(node)
    if kind == "seq":
        return "".join(_to_re(n) for n in node[1])
    if kind == "alt":
        return "(?:" + "|".join(_to_re(n) for n in node[1]) + ")"
    suffix = {"star": "*", "plus": "+", "opt": "?"}[kind]
    return f"(?:{_to_re(node[1])}){suffix}"


def _in_cls(ch: str, node: Node) -> bool:
    return (ch not in node[1]) if node[2] else (ch in node[1])


def _flatten(node: Node) -> list[Node]:
    return [m for n in node[1] for m in _flatten(n)] if node[0] == "seq" else [node]


def _is_safe(node: Node) -> bool:
    """Flat sequence where each repeated class is followed by a literal it cannot eat."""
    items = _flatten(node)
    for i, item in enumerate(items):
        if item[0] in ("lit", "cls"):
            continue
        if item[0] not in ("star", "plus") or item[1][0] != "cls":
            return False
        nxt = items[i + 1] if i + 1 < len(items) else None
        if nxt is None:
            continue
        if nxt[0] != "lit" or _in_cls(nxt[1][0], item[1]):
            return False
    return True


class _Nfa:
    """Thompson NFA without captures: O(len(topic) x len(program)), step-capped."""

    __slots__ = ("prog",)

    def __init__(self, node: Node) -> None:
        self.prog: list[tuple[Any, ...]] = []
        self._emit(node)
        self.prog.append(("match",))

    def _emit(self, node: Node) -> None:
        p = self.prog
        kind = node[0]
        if kind == "lit":
            for ch in node[1]:
                p.append(("cls", frozenset(ch), False))
        elif kind == "cls":
            p.append(node)
        elif kind == "seq":
            for n in node[1]:
                self._emit(n)
        elif kind == "alt":
            jumps: list[int] = []
            alts = node[1]
            for i, n in enumerate(alts):
                if i < len(alts) - 1:
                    split_at = len(p)
                    p.append(("split", 0, 0))
                    self._emit(n)
                    jumps.append(len(p))
                    p.append(("jmp", 0))
                    p[split_at] = ("split", split_at + 1, len(p))
                else:
                    self._emit(n)
            for j in jumps:
                p[j] = ("jmp", len(p))
        elif kind == "opt":
            at = len(p)
            p.append(("split", 0, 0))
            self._emit(node[1])
            p[at] = ("split", at + 1, len(p))
        elif kind == "star":
            at = len(p)
            p.append(("split", 0, 0))
            self._emit(node[1])
            p.append(("jmp", at))
            p[at] = ("split", at + 1, len(p))
        elif kind == "plus":
            at = len(p)
            self._emit(node[1])
            p.append(("split", at, len(p) + 1))
        else:  # pragma: no cover - AST is built here only
            raise SelectorError(f"bad node {kind}")

    def _closure(self, pcs: list[int], out: set[int], budget: list[int]) -> None:
        prog = self.prog
        stack = list(pcs)
        while stack:
            pc = stack.pop()
            if pc in out:
                continue
            out.add(pc)
            budget[0] -= 1
            ins = prog[pc]
            if ins[0] == "split":
                stack.append(ins[2])
                stack.append(ins[1])
            elif ins[0] == "jmp":
                stack.append(ins[1])

    def fullmatch(self, text: str) -> bool:
        prog = self.prog
        budget = [MATCH_STEP_BUDGET]
        current: set[int] = set()
        self._closure([0], current, budget)
        for ch in text:
            nxt: list[int] = []
            for pc in current:
                ins = prog[pc]
                if ins[0] == "cls" and ((ch not in ins[1]) if ins[2] else (ch in ins[1])):
                    nxt.append(pc + 1)
            if not nxt:
                return False
            current = set()
            self._closure(nxt, current, budget)
            if budget[0] < 0:
                return False  # cost cap: treat as no match rather than stall the loop
        return any(prog[pc][0] == "match" for pc in current)


def _compile(node: Node) -> Callable[[str], bool]:
    if node[0] == "lit":
        literal = node[1]
        return literal.__eq__
    if _is_safe(node):
        rx = re.compile(_to_re(node), re.DOTALL)
        return lambda s: rx.fullmatch(s) is not None
    nfa = _Nfa(node)
    if sum(1 for ins in nfa.prog if ins[0] == "split") > MAX_REPEATS:
        raise SelectorError(f"selector too complex: more than {MAX_REPEATS} wildcards")
    return nfa.fullmatch


def _seq(items: list[Node]) -> Node:
    merged: list[Node] = []
    for it in items:
        if it[0] == "lit" and merged and merged[-1][0] == "lit":
            merged[-1] = ("lit", merged[-1][1] + it[1])
        elif it[0] == "seq":
            merged.extend(it[1])
        elif not (it[0] == "lit" and not it[1]):
            merged.append(it)
    if len(merged) == 1:
        return merged[0]
    if not merged:
        return ("lit", "")
    return ("seq", tuple(merged))


# ---------------------------------------------------------------- RFC 6570 URI templates
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = frozenset("%0123456789ABCDEFabcdef")
_RESERVED = frozenset(":/?#[]@!$&'()*+,;=")
_OPS: dict[str, tuple[str, frozenset[str]]] = {
    "": ("", _UNRESERVED | _PCT | {","}),
    "+": ("", _UNRESERVED | _RESERVED | _PCT),
    "#": ("#", _UNRESERVED | _RESERVED | _PCT),
    ".": (".", _UNRESERVED | _PCT | {","}),
    "/": ("/", _UNRESERVED | _PCT | {",", "/"}),
    ";": (";", _UNRESERVED | _PCT | {",", ";", "="}),
    "?": ("?", _UNRESERVED | _PCT | {",", "&", "="}),
    "&": ("&", _UNRESERVED | _PCT | {",", "&", "="}),
}
_VARSPEC = re.compile(
    r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*"
    r"(?:\*|:[1-9][0-9]{0,3})?"
)


def is_uri_template(selector: str) -> bool:
    return "{" in selector


def _template_ast(template: str) -> Node:
    items: list[Node] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == "{":
            end = template.find("}", i + 1)
            if end < 0:
                raise SelectorError("unclosed expression in URI template")
            expr = template[i + 1 : end]
            op = expr[:1] if expr[:1] in _OPS and expr[:1] != "" else ""
            names = expr[len(op) :].split(",")
            if not all(_VARSPEC.fullmatch(v) for v in names):
                raise SelectorError("invalid variable in URI template")
            first, allowed = _OPS[op]
            # Undefined variables expand to nothing, so the whole expression is optional.
            value: Node = ("star", ("cls", allowed, False))
            items.append(("opt", _seq([("lit", first), value])) if first else value)
            i = end + 1
        elif ch == "}":
            raise SelectorError("unbalanced '}' in URI template")
        else:
            items.append(("lit", ch))
            i += 1
    return _seq(items)


# ---------------------------------------------------------------- WHATWG URL patterns
_NAME_START = re.compile(r"[A-Za-z_$]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_$]")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}


def _component_ast(text: str, delim: str | None, prefix_slash: bool) -> Node:
    """One URL pattern component (``:name``, ``*``, ``{…}`` groups, modifiers, ``\\`` escapes)."""
    seg: Node = ("cls", frozenset(delim), True) if delim else ANY
    pos = 0

    def parse(stop: str | None) -> list[Node]:
        nonlocal pos
        items: list[Node] = []
        while pos < len(text):
            ch = text[pos]
            if stop and ch == stop:
                return items
            pos += 1
            part: Node | None = None
            if ch == "\\":
                if pos >= len(text):
                    raise SelectorError("dangling escape in URL pattern")
                items.append(("lit", text[pos]))
                pos += 1
                continue
            if ch == ":":
                start = pos
                if pos >= len(text) or not _NAME_START.match(text[pos]):
                    raise SelectorError("invalid group name in URL pattern")
                while pos < len(text) and _NAME_CHAR.match(text[pos]):
                    pos += 1
                del start
                if pos < len(text) and text[pos] == "(":
                    raise SelectorError("regexp groups are not supported in URL patterns")
                part = ("plus", seg)
            elif ch == "*":
                part = ("star", ANY)
            elif ch == "(":
                raise SelectorError("regexp groups are not supported in URL patterns")
            elif ch == "{":
                inner = parse("}")
                if pos >= len(text):
                    raise SelectorError("unclosed group in URL pattern")
                pos += 1
                part = _seq(inner)
            elif ch == "}":
                raise SelectorError("unbalanced '}' in URL pattern")
            else:
                items.append(("lit", ch))
                continue
            mod = text[pos] if pos < len(text) and text[pos] in "?+*" else ""
            if mod:
                pos += 1
                # URL pattern rule: a '/' right before a modified :name or * belongs to it.
                if prefix_slash and ch != "{" and items and items[-1] == ("lit", "/"):
                    items.pop()
                    part = _seq([("lit", "/"), part])
                part = {"?": ("opt", part), "+": ("plus", part), "*": ("star", part)}[mod]
            items.append(part)
        if stop:
            raise SelectorError("unclosed group in URL pattern")
        return items

    return _seq(parse(None))


def _split_pattern(pattern: str) -> dict[str, str]:
    """Split a constructor string into components; '?' after a group is a modifier."""
    parts: dict[str, str] = {}
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*|\*)://", pattern)
    if not m:
        raise SelectorError("URL pattern must be absolute or start with '/'")
    parts["protocol"] = m.group(1).lower()
    rest = pattern[m.end() :]
    depth = 0
    i = 0
    cuts: list[tuple[int, str]] = []
    while i < len(rest):
        ch = rest[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch in "/?#":
            prev = rest[i - 1] if i else ""
            is_modifier = ch == "?" and ((prev != "" and prev in "}*") or _follows_group(rest, i))
            if not is_modifier:
                cuts.append((i, ch))
        i += 1
    path_at = next((i for i, c in cuts if c == "/"), None)
    q_at = next((i for i, c in cuts if c == "?" and (path_at is None or i > path_at)), None)
    h_at = next((i for i, c in cuts if c == "#"), None)
    end_auth = min(x for x in (path_at, q_at, h_at, len(rest)) if x is not None)
    authority = rest[:end_auth]
    if "@" in authority:
        raise SelectorError("userinfo is not supported in URL patterns")
    pm = re.search(r":(\d*)$", authority)
    parts["hostname"] = (authority[: pm.start()] if pm else authority).lower()
    parts["port"] = pm.group(1) if pm else ""
    end_path = min(x for x in (q_at, h_at, len(rest)) if x is not None)
    parts["pathname"] = rest[end_auth:end_path] if path_at is not None else "/"
    if q_at is not None:
        parts["search"] = rest[q_at + 1 : h_at if h_at is not None else len(rest)]
    if h_at is not None:
        parts["hash"] = rest[h_at + 1 :]
    return parts


def _follows_group(text: str, i: int) -> bool:
    """True if position ``i`` directly follows ``:name``."""
    j = i - 1
    while j >= 0 and _NAME_CHAR.match(text[j]):
        j -= 1
    return j >= 0 and text[j] == ":" and j + 1 < i and _NAME_START.match(text[j + 1]) is not None


@dataclass(frozen=True, slots=True)
class _UrlPattern:
    protocol: Callable[[str], bool]
    hostname: Callable[[str], bool]
    port: Callable[[str], bool]
    pathname: Callable[[str], bool]
    search: Callable[[str], bool]
    hash: Callable[[str], bool]
    base: str  # the hub's URL: relative topics are resolved against it (draft-08)

    def matches(self, topic: str) -> bool:
        try:
            u: SplitResult = urlsplit(topic)
            if not u.scheme:  # e.g. a subscription event's topic, a path under the hub's
                u = urlsplit(urljoin(self.base, topic))
            port = u.port
        except ValueError:
            return False
        if not u.scheme or not u.netloc:
            return False
        scheme = u.scheme.lower()
        port_s = "" if port is None else str(port)
        if _DEFAULT_PORTS.get(scheme) == port_s:
            port_s = ""
        path = u.path or "/"
        return (
            self.protocol(scheme)
            and self.hostname(u.hostname or "")
            and self.port(port_s)
            and self.pathname(path)
            and self.search(u.query)
            and self.hash(u.fragment)
        )


def compile_urlpattern(pattern: str, base_url: str) -> Callable[[str], bool]:
    if not pattern.startswith(("/", "*:", "http", "ws", "ftp")) and "://" not in pattern:
        pattern = base_url.rsplit("/", 1)[0] + "/" + pattern  # relative to the hub URL
    elif pattern.startswith("/"):
        b = urlsplit(base_url)
        pattern = f"{b.scheme}://{b.netloc}{pattern}"
    parts = _split_pattern(pattern)
    wild = ("star", ANY)

    def comp(name: str, delim: str | None, default: Node) -> Callable[[str], bool]:
        return _compile(
            _component_ast(parts[name], delim, name == "pathname") if name in parts else default
        )

    p = _UrlPattern(
        protocol=comp("protocol", None, wild),
        hostname=comp("hostname", ".", wild),
        port=comp("port", None, ("lit", "")),
        pathname=comp("pathname", "/", wild),
        search=comp("search", None, wild),
        hash=comp("hash", None, wild),
        base=base_url,
    )
    return p.matches


# ---------------------------------------------------------------- selectors
EXACT = "exact"
URLPATTERN = "urlpattern"
URITEMPLATE = "uritemplate"
WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled selector. ``kind`` is exact, urlpattern, uritemplate or ``*``."""

    kind: str
    text: str
    test: Callable[[str], bool]

    def matches(self, topic: str) -> bool:
        return self.test(topic)

    def matches_any(self, topics: tuple[str, ...]) -> bool:
        test = self.test
        return any(test(t) for t in topics)


def _always(_: str) -> bool:
    return True


@lru_cache(maxsize=10_000)
def compile_selector(kind: str, text: str, base_url: str = "") -> Selector:
    """Compile (cached: 10,000 subscribers with one selector share one matcher)."""
    if text == WILDCARD:
        return Selector(WILDCARD, text, _always)
    if kind == EXACT:
        return Selector(EXACT, text, text.__eq__)
    if kind == URITEMPLATE:
        if not is_uri_template(text):
            return Selector(EXACT, text, text.__eq__)
        rx = _compile(_template_ast(text))
        # 0.x: a selector matches if it is equal to the topic OR its template matches.
        return Selector(URITEMPLATE, text, lambda t: t == text or rx(t))
    if kind == URLPATTERN:
        return Selector(URLPATTERN, text, _cached(compile_urlpattern(text, base_url)))
    raise SelectorError(f"unsupported matcher type {kind!r}")


def _cached(fn: Callable[[str], bool]) -> Callable[[str], bool]:
    return lru_cache(maxsize=4096)(fn)
