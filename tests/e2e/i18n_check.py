"""What the pages' language tests share: the message ids of a set of source files, and the
visible text of a page shown in the pseudo-language that did not pass through a catalogue.

- `extract_ids(paths)`: every msgid `pybabel extract` finds (JS `t('…')`, `tIn(l, '…')` and
  `N_('…')` (marked where defined, translated where shown), HTML
  `data-i18n` text and `data-i18n-attr` attributes), the same extractors as the catalogues.
- `unmarked_text(page, allow)`: a page shown with `?lang=qps` has every message as `⟦…⟧`; what
  is visible without the marks is either data (`allow`: names, titles, amounts) or a string
  that bypassed `t()` — the failure a completeness test reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file

from hub.i18n import extract_html

KEYWORDS = {"t": None, "tIn": (2,), "N_": None}

# Visible text nodes, and the accessible names a screen reader reads out (aria-label,
# placeholder, title), of elements a person can see.
_VISIBLE_TEXT = """
() => {
  const out = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || seen.has(el)) continue;
    if (['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName)) continue;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    seen.add(el);
    // The element's whole text: a message with data placed inside it reads as one.
    out.push(el.innerText.replace(/\\s+/g, ' ').trim());
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], select')) {
    if (!el.checkVisibility()) continue;
    for (const a of ['aria-label', 'placeholder', 'title']) {
      const v = (el.getAttribute(a) || '').trim();
      if (v) out.push(v);
    }
    const chosen = el.tagName === 'SELECT' ? el.selectedOptions[0] : null;
    if (chosen) out.push(chosen.text.trim());
  }
  out.push(document.title);
  return out.filter(Boolean);
}
"""

# Data, not words: numbers, amounts, currency codes and signs, punctuation.
_DATA = re.compile(r"^[\d\s.,:;·•–—\-+−/()%≈×#*€$£¥₣¤A-Z]{0,12}$|^[\d\s.,'’€$£¥%:()+\-–]+$")


def extract_ids(paths: Iterable[Path]) -> set[str]:
    """The msgids in these JS and HTML files, as `pybabel extract` finds them."""
    ids: set[str] = set()
    for path in paths:
        method: Any = extract_html if path.suffix == ".html" else "javascript"
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                ids.add(message)
    return ids


def _strip_marked(text: str) -> str:
    """The text with every ⟦…⟧ (a translated message, placeholders filled) taken out."""
    prev = None
    while prev != text:
        prev, text = text, re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    return " ".join(text.split())


def unmarked_text(page: Any, allow: Iterable[str] = ()) -> list[str]:
    """Visible texts of a page in `qps` that are neither a message nor data."""
    allowed = sorted({a for a in allow if a}, key=len, reverse=True)
    bad = []
    for text in page.evaluate(_VISIBLE_TEXT):
        rest = _strip_marked(text)
        for a in allowed:
            rest = rest.replace(a, " ")
        rest = " ".join(rest.split())
        if rest and not _DATA.match(rest):
            bad.append(text)
    return sorted(set(bad))
