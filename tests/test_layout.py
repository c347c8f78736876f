"""The architecture's import rules, checked (docs/ARCHITECTURE.md, "Layer rules").

Every rule reads the source with `ast`, so a violation is found even in code no test runs,
including imports inside functions and under `TYPE_CHECKING` (a type is a dependency too).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
FIRST_PARTY = ("hub", "hardware", "app", "resources")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _modules() -> dict[str, Path]:
    out = {}
    for top in FIRST_PARTY:
        for path in (ROOT / top).rglob("*.py"):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str:
    """The first-party module an import names: `hub.auction.events.Actor` → `hub.auction.events`."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(path: Path) -> Iterator[str]:
    """Every absolute module name `path` imports, anywhere in the file."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the importing package
                package = _module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{module}" if module else base
            yield module
            for alias in node.names:  # `from hub.journal import history` names a module
                yield f"{module}.{alias.name}"


def _first_party(path: Path) -> set[str]:
    return {m for m in (_resolve(n) for n in _imports(path)) if m} - {_module_name(path)}


def _third_party(path: Path) -> set[str]:
    tops = {n.split(".")[0] for n in _imports(path)}
    return {t for t in tops if t not in STDLIB and t not in FIRST_PARTY}


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# Each part of the tree and what it may import: first party by module prefix, third party by
# top-level import name. The table of docs/ARCHITECTURE.md, as code. Every module under hub/
# and hardware/ belongs to exactly one row, so a new module has to be placed here.
_MERCURE_DEPS = frozenset({"aiohttp", "jwt", "cryptography", "uvloop"})
RULES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    # the pure domain core
    "hub.auction": ((), frozenset()),
    # the journal, the one writer, replay
    "hub.journal": (("hub.auction",), frozenset({"sqlite_utils"})),
    # the Mercure hub knows nothing of auctions
    "hub.mercure": ((), _MERCURE_DEPS),
    # Backend Base: the sale day around the loop, from the journal
    "hub.backend": (
        ("hub.auction", "hub.journal"),
        frozenset(
            {"sqlite_utils", "jinja2", "weasyprint", "facturx", "lxml", "schwifty", "segno"}
            | {"rapidfuzz", "anyascii", "defusedxml"}  # sanctions screening
            | {"argon2"}  # staff accounts
        ),
    ),
    # the capabilities the front doors need, as Protocols
    "hub.ports": (("hub.auction", "hub.journal"), frozenset()),
    # the HTTP front door: typed capabilities only, never the stage
    "hub.gateway": (
        ("hub.auction", "hub.journal", "hub.mercure", "hub.ports", "hub.i18n"),
        _MERCURE_DEPS | {"segno"},
    ),
    # record → Mercure update, event ids, journal-backed history (stage and relay node)
    "hub.feed": (("hub.auction", "hub.journal", "hub.mercure", "hub.gateway"), frozenset()),
    # the relay: the stage's link and the headless node
    "hub.relay": (
        (
            "hub.auction",
            "hub.journal",
            "hub.mercure",
            "hub.gateway",
            "hub.ports",
            "hub.feed",
            "hub.config",
            "hub.runtime",
        ),
        _MERCURE_DEPS | {"redis"},
    ),
    # small shared settings and helpers
    "hub.config": (("hub.auction",), frozenset({"platformdirs"})),
    "hub.runtime": ((), frozenset()),
    # the message catalogues (PO files) for the app and the pages
    "hub.i18n": ((), frozenset({"babel"})),
    "hub.links": (("hub.config", "hub.gateway"), frozenset()),
    # HTTPS on the LAN: the house authority and the TLS site (knows nothing of auctions)
    "hub.tls": ((), frozenset({"aiohttp", "cryptography"})),
    "hub.live": (("hub.journal", "hub.backend", "hub.config"), frozenset()),
    # the cashier's desk for the gateway (hub.ports.Money) over the backend's money
    "hub.checkout": (("hub.auction", "hub.journal", "hub.backend", "hub.ports"), frozenset()),
    # the gavel wired to the sale: the one door from hub/ to hardware/
    "hub.gavel": (("hub.auction", "hub.ports", "hardware"), frozenset()),
    # the composition root and its CLI: may assemble anything below the app
    "hub.stage": (("hub",), _MERCURE_DEPS),
    "hub.serve": (("hub",), _MERCURE_DEPS),
    "hub": ((), frozenset()),  # the package marker
    # gavel and switch sources
    "hardware": ((), frozenset({"serial", "hid"})),
}


def _rule(module: str) -> str | None:
    """The most specific row of RULES that `module` belongs to."""
    matches = [part for part in RULES if _under(module, part)]
    return max(matches, key=len) if matches else None


def test_every_module_below_the_app_has_a_row():
    unruled = [
        m
        for m in MODULES
        if _under(m, "hub", "hardware") and _rule(m) in (None, "hub") and m != "hub"
    ]
    assert not unruled, f"add these to RULES and docs/ARCHITECTURE.md: {unruled}"


@pytest.mark.parametrize("part", sorted(RULES))
def test_each_part_imports_only_what_the_table_allows(part):
    allowed, third = RULES[part]
    bad = []
    for module, path in sorted(MODULES.items()):
        if _rule(module) != part:
            continue
        for dep in _first_party(path):
            if not _under(dep, part, *allowed):
                bad.append(f"{module} imports {dep}")
        for dist in _third_party(path) - third:
            bad.append(f"{module} imports {dist}")
    assert not bad, "\n".join(bad)


def test_nothing_outside_app_imports_app_or_qt():
    bad = []
    for module, path in MODULES.items():
        if _under(module, "app"):
            continue
        for dep in _first_party(path):
            if _under(dep, "app"):
                bad.append(f"{module} imports {dep}")
        qt = {t for t in _third_party(path) if t.startswith(("PySide", "PyQt", "qasync"))}
        if qt:
            bad.append(f"{module} imports {sorted(qt)}")
    assert not bad, "\n".join(bad)


def test_hardware_is_reached_only_through_the_gavel_link_and_the_app():
    bad = [
        f"{module} imports {dep}"
        for module, path in MODULES.items()
        if not _under(module, "hardware", "app", "hub.gavel")
        for dep in _first_party(path)
        if _under(dep, "hardware")
    ]
    assert not bad, "\n".join(bad)


def test_the_gateway_and_the_relay_never_see_the_stage():
    """They depend on small typed capabilities; the stage assembles them (composition root)."""
    bad = [
        f"{module} imports {dep}"
        for module, path in MODULES.items()
        if _under(
            module,
            "hub.gateway",
            "hub.relay",
            "hub.backend",
            "hub.mercure",
            "hub.journal",
            "hub.auction",
        )
        for dep in _first_party(path)
        if _under(dep, "hub.stage", "hub.serve", "hub.gavel")
    ]
    assert not bad, "\n".join(bad)


def test_no_import_circle_anywhere():
    graph = {m: _first_party(p) for m, p in MODULES.items()}
    # A package's __init__ importing its own submodules is how packages re-export; a
    # submodule importing its package's __init__ is then not a design circle.
    for module, deps in graph.items():
        graph[module] = {d for d in deps if not module.startswith(d + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


def test_the_relay_node_stands_alone():
    """A cloud relay node loads no gavel driver, no journal writer, no personal data store."""
    code = (
        "import sys, hub.relay.node, hub.relay.cli\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('hardware', 'app', 'PySide6')"
        " or m in ('hub.stage', 'hub.serve', 'hub.gavel', 'hub.journal.sequencer',"
        " 'hub.backend.identities')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == ""


def test_hub_imports_without_qt_installed(monkeypatch):
    """Import every hub and hardware module with PySide6 made unimportable."""
    import importlib

    monkeypatch.setitem(sys.modules, "PySide6", None)
    for module, path in sorted(MODULES.items()):
        if not _under(module, "hub", "hardware") or path.name == "__main__.py":
            continue
        importlib.import_module(module)
