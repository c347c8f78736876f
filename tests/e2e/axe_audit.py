"""axe-core on a page as it is now: the serious and critical violations, at the phone and the
desktop size. The script is the one the `axe-playwright-python` package ships (no CDN); it goes
in through the DevTools protocol, which the pages' CSP (script-src 'self') allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import axe_playwright_python

from tests.e2e.pages_harness import DESKTOP, PHONE

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
SIZES = (PHONE, DESKTOP)


def serious(page: Any) -> list[str]:
    """The page's serious and critical violations, each with where it is."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def audit(page: Any, state: str, found: dict[str, list[str]]) -> None:
    """Audit at both sizes (the same page, resized); violations collected under the state."""
    for size in SIZES:
        page.set_viewport_size(size)
        bad = serious(page)
        if bad:
            found[f"{state} at {size['width']}"] = bad
