"""The message catalogues: what the desktop app and the web pages say, in each language.

English is the source language: a message's id is its English text. Translations are gettext
PO files, one per domain and language, edited with Babel's tools (`pybabel extract`, `update`):

    resources/locale/<lang>/LC_MESSAGES/<domain>.po

Domains: `app` (the desktop app, `app.i18n._`), `web` and `web_staff` (the pages' `t()` in
`resources/web/js/i18n.js`; the gateway serves them merged at `/i18n/<lang>.json`).

`PSEUDO` is a generated test language: every message comes back marked `⟦…⟧`, so a test that
shows a screen in it finds any text that did not pass through a catalogue.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO

from babel.messages.pofile import read_po

SOURCE = "en"
LANGUAGES = ("en", "de", "fr")  # shipped; the first is the source
NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}  # each in its own language
PSEUDO = "qps"  # Microsoft's pseudo-locale tag; never shown to users
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"
DOMAINS = ("app", "web", "web_staff")


def locale_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "locale"


def po_path(lang: str, domain: str) -> Path:
    return locale_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


def pseudo(message: str) -> str:
    return f"{PSEUDO_OPEN}{message}{PSEUDO_CLOSE}"


def normalize(tag: str | None) -> str:
    """The shipped language closest to a tag such as `de-AT`, `fr_CH.UTF-8` or `*`: English when
    none is near. `PSEUDO` passes through (tests only)."""
    if not tag:
        return SOURCE
    base = tag.replace("_", "-").split(".")[0].split("-")[0].strip().lower()
    if tag.strip().lower() == PSEUDO or base == PSEUDO:
        return PSEUDO
    return base if base in LANGUAGES else SOURCE


def negotiate(accept_language: str | None) -> str:
    """The best shipped language for an HTTP `Accept-Language` header (quality order)."""
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, q = part.strip().partition(";q=")
        try:
            quality = float(q) if q else 1.0
        except ValueError:
            continue
        lang = normalize(tag)
        if tag and (lang != SOURCE or tag.lower().startswith(SOURCE)):
            choices.append((-quality, i, lang))
    return min(choices)[2] if choices else SOURCE


@functools.cache
def catalogue(lang: str, domain: str) -> dict[str, str]:
    """msgid → msgstr of one PO file (untranslated and fuzzy entries left out, so they fall
    back to English); empty for English and for a file that is not there."""
    path = po_path(lang, domain)
    if lang == SOURCE or not path.is_file():
        return {}
    with path.open("rb") as f:
        cat = read_po(f, locale=lang, domain=domain)
    out: dict[str, str] = {}
    for msg in cat:
        if not isinstance(msg.id, str) or not msg.id or msg.fuzzy:
            continue
        if isinstance(msg.string, str) and msg.string:
            out[msg.id] = msg.string
    return out


def messages(lang: str, domains: Iterable[str]) -> dict[str, str]:
    """The domains' catalogues merged (a later domain wins on a clash)."""
    out: dict[str, str] = {}
    for domain in domains:
        out.update(catalogue(lang, domain))
    return out


def missing(ids: Iterable[str], lang: str, domains: Iterable[str]) -> list[str]:
    """The ids that have no translation in `lang` (what a completeness test reports)."""
    have = messages(lang, domains)
    return sorted({i for i in ids if i and i not in have})


def po_ids(lang: str, domain: str) -> Iterator[str]:
    """Every msgid of one PO file, translated or not."""
    path = po_path(lang, domain)
    if path.is_file():
        with path.open("rb") as f:
            for msg in read_po(f, locale=lang, domain=domain):
                if msg.id and isinstance(msg.id, str):
                    yield msg.id


# ------------------------------------------------------------------ the pages' HTML


class _HtmlMessages(HTMLParser):
    """The msgids of an HTML page: the text of each `data-i18n` element (or the attribute's
    own value when it has one) and the attributes named in `data-i18n-attr`, as the pages'
    `translateDom()` reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._open: list[tuple[str, int, list[str]]] = []  # (tag, line, text parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        line = self.getpos()[0]
        for name in a.get("data-i18n-attr", "").split():
            if a.get(name):
                self.found.append((line, a[name]))
        if "data-i18n" in a:
            if a["data-i18n"]:
                self.found.append((line, a["data-i18n"]))
            else:
                self._open.append((tag, line, []))

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, line, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if text:
                self.found.append((line, text))


def html_messages(text: str) -> list[tuple[int, str]]:
    """(line, msgid) of every translatable text in an HTML page."""
    parser = _HtmlMessages()
    parser.feed(text)
    parser.close()
    return parser.found


def extract_html(
    fileobj: BinaryIO, keywords: object, comment_tags: object, options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method for the pages' HTML (`[hub.i18n:extract_html: **.html]`)."""
    encoding = str(options.get("encoding", "utf-8"))
    for line, message in html_messages(fileobj.read().decode(encoding)):
        yield line, "", message, []
