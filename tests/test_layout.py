"""The design's import rules, checked: a pure core, no Qt below the app."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)


def _imports(folder: Path, full: bool = False) -> dict[Path, set[str]]:
    """Absolute imports of every module under `folder` (top-level names unless `full`)."""
    found: dict[Path, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[path] = names if full else {n.split(".")[0] for n in names}
    return found


def test_auction_core_imports_only_the_standard_library():
    for path, names in _imports(ROOT / "hub" / "auction", full=True).items():
        outside = {
            n for n in names
            if n.split(".")[0] not in STDLIB and n != "__future__"
            and not (n == "hub.auction" or n.startswith("hub.auction."))
        }
        assert not outside, f"{path.relative_to(ROOT)} imports {sorted(outside)}"


def test_nothing_below_app_imports_qt():
    for folder in ("hub", "hardware"):
        for path, names in _imports(ROOT / folder).items():
            qt = {n for n in names if n.startswith(("PySide", "PyQt", "qasync"))}
            assert not qt, f"{path.relative_to(ROOT)} imports {sorted(qt)}"


def test_hub_imports_without_qt_installed(monkeypatch):
    """Import every hub module with PySide6 made unimportable."""
    import importlib

    monkeypatch.setitem(sys.modules, "PySide6", None)
    for path in sorted((ROOT / "hub").rglob("*.py")):
        if path.name == "__main__.py":
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        importlib.import_module(module)
