"""The staff pages' words (domain `web_staff`): every message the clerk, cashier, phone and
consignor pages show, and the command registry's labels and help the clerk page builds its
keys from, is translated in German and French, with the same placeholders. (The pages shown
in the pseudo-language are walked in tests/e2e/test_a11y_staff.py.)

Updating the catalogue after a change of wording: `pybabel extract -F
resources/locale/babel-web.cfg -k t -k N_ -o /tmp/web_staff.pot` over the sources below, then
`pybabel update -D web_staff -i /tmp/web_staff.pot -d resources/locale`; the registry's labels,
help and groups are not in the JS (the page gets them from GET /api/commands), so keep their
entries (pybabel marks them obsolete: take the `#~` off). This test lists what is missing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

sys.path.insert(0, str(Path(__file__).parent))
from i18n_check import extract_ids

from hub import i18n
from hub.auction.commands import BINDINGS

WEB = Path(__file__).resolve().parents[2] / "resources" / "web"
PAGES = ("clerk", "cashier", "phone", "consignor")
STAFF_SOURCES = [
    *(WEB / f"{p}.html" for p in PAGES),
    *(WEB / "js" / f"{m}.js" for m in (*PAGES, "staff")),
]
DOMAINS = ("web", "web_staff")  # what /i18n/<lang>.json serves the pages, merged


def staff_ids() -> set[str]:
    registry = {text for b in BINDINGS for text in (b.label, b.help, b.group)}
    return extract_ids(STAFF_SOURCES) | registry


def test_the_sources_have_messages_to_translate() -> None:
    ids = staff_ids()
    assert len(ids) > 250  # an extractor that finds nothing would pass everything below
    assert {"Hammer", "Lot {lot} passed: not sold", "Record a payment", "Your running net"} <= ids


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_staff_message_is_translated(lang: str) -> None:
    assert i18n.missing(staff_ids(), lang, DOMAINS) == []


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_translations_keep_their_placeholders_and_nothing_is_stale(lang: str) -> None:
    with i18n.po_path(lang, "web_staff").open("rb") as f:
        catalog = read_po(f, locale=lang, domain="web_staff")
    ids = staff_ids()
    placeholder = re.compile(r"\{\w+\}")
    wrong, stale, fuzzy = [], [], []
    for msg in catalog:
        if not msg.id:
            continue
        if sorted(placeholder.findall(str(msg.id))) != sorted(placeholder.findall(str(msg.string))):
            wrong.append((msg.id, msg.string))
        if msg.id not in ids:
            stale.append(msg.id)
        if msg.fuzzy:
            fuzzy.append(msg.id)
    assert wrong == []
    assert stale == []  # no message left behind by a change of wording
    assert fuzzy == []


def test_state_words_and_button_verbs_do_not_share_an_id() -> None:
    """ "Open" the button (Öffnen) is not "open" the lot's state (eröffnet)."""
    de = i18n.messages("de", DOMAINS)
    assert de["Open"] != de["open"]
    assert de["Pass"] != de["passed"]


def test_no_message_hides_inside_a_template_literal() -> None:
    """Babel's JS extractor does not look inside `${…}`: a t() there would never reach the
    catalogue (and the page would show it in English)."""
    hidden = [
        f"{path.name}:{n}"
        for path in STAFF_SOURCES
        if path.suffix == ".js"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\$\{\s*t\(", line)
    ]
    assert hidden == []
