"""The desktop app's language: `_("English text")` everywhere a user reads it.

The catalogue is `resources/locale/<lang>/LC_MESSAGES/app.po` (see `hub/i18n.py`); `install()`
picks the language at start from the settings, else the system's locale. The choice applies
from the next start: widgets take their texts when they are built.

- `_("Lot {lot} sold to {paddle}").format(...)`: whole sentences with named placeholders.
- `N_("Hammer")` marks a text kept in a module-level constant (evaluated at import, before the
  language is chosen) for extraction; it is translated where it is shown, with `_(constant)`.
- Texts that come from the core (command labels and help, lot statuses, refusal reasons) are
  listed by `core_ids()` and translated at the display point.

Update the catalogues after changing texts (from the repository root):

    .venv/bin/python -m app.i18n          # extract app/**, merge into de and fr app.po

then translate the new empty entries (`msgstr ""`); `tests/app/test_i18n.py` lists any missing.
"""

from __future__ import annotations

import locale
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hub import i18n

DOMAIN = "app"
_lang = i18n.SOURCE


def system_language() -> str | None:
    """The user's language: the POSIX variables, else the desktop's own setting as Qt reads it
    (Windows and macOS name it there, as "de_DE"), else Python's locale."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "").split(":")[0]
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value
    if sys.platform in ("win32", "darwin"):
        try:
            from PySide6.QtCore import QLocale

            return QLocale.system().name()
        except ImportError:
            pass
    try:
        return locale.getlocale()[0]
    except ValueError:
        return None


def install(language: str | None) -> str:
    """Use `language` (a tag such as `de` or `fr_FR.UTF-8`) from now on; None or "" follows
    the system's locale. Returns the shipped language chosen (English when none is near)."""
    global _lang
    _lang = i18n.normalize(language or system_language())
    return _lang


def language() -> str:
    return _lang


def babel_locale() -> str:
    """The Babel locale for numbers, dates and money (the pseudo-language formats as English)."""
    return i18n.SOURCE if _lang == i18n.PSEUDO else _lang


def _(message: str) -> str:
    """`message` in the app's language (English when the catalogue has no translation)."""
    if not message:
        return message
    if _lang == i18n.PSEUDO:
        return i18n.pseudo(message)
    return i18n.catalogue(_lang, DOMAIN).get(message, message)


def N_(message: str) -> str:
    """Marks a text for extraction only; translate it where it is shown, with `_()`."""
    return message


# The core's refusal reasons (hub/auction/reasons.py codes) as the app says them. The core's own
# message is English and names values; in another language the reason's sentence is shown.
REASONS: dict[str, str] = {
    "invalid": N_("The command is not valid"),
    "unknown_op": N_("Unknown command"),
    "forbidden": N_("Your role may not do this"),
    "no_sale": N_("No sale is open"),
    "unknown_lot": N_("No such lot"),
    "duplicate_lot": N_("A lot with that number exists already"),
    "unknown_bidder": N_("No bidder with that paddle"),
    "duplicate_bidder": N_("That paddle is registered already"),
    "outbid": N_("Outbid: the ask has moved on"),
    "below_ask": N_("The bid is below the ask"),
    "already_bid": N_("Someone bid that amount first"),
    "already_high": N_("The bidder is already the highest bidder"),
    "too_late": N_("Too late: the lot was knocked down"),
    "lot_closed": N_("The lot is not open"),
    "not_approved": N_("The bidder is not approved"),
    "over_limit": N_("The bid is over the bidder's credit limit"),
    "paused": N_("The sale is paused"),
    "above_reserve": N_("A house bid may not reach the reserve"),
    "rate_limited": N_("Too many bids: try again in a moment"),
    "lot_open": N_("Another lot is still on the block"),
    "lot_not_pending": N_("The lot is not waiting"),
    "lot_not_open": N_("The lot is not open"),
    "lot_not_closed": N_("The lot is not closed"),
    "reopen_too_late": N_("Too late to reopen the lot"),
    "no_bid": N_("There is no bid"),
    "has_high": N_("The lot has a bid already"),
    "below_high": N_("Below the high bid"),
    "below_start": N_("Below the starting price"),
    "no_pending": N_("No online bid is waiting"),
    "no_late_bid": N_("No such late bid"),
    "no_book": N_("No such commission bid"),
    "above_max": N_("Above the commission bid's maximum"),
    "duplicate_book": N_("That commission bid exists already"),
    "tie_policy": N_("The sale's tie rule does not allow this"),
    "no_online_high": N_("The high bid is not an online bid"),
    "not_paused": N_("The sale is not paused"),
    "sale_not_live": N_("The sale is a draft: nothing runs yet"),
    "sale_closed": N_("The sale is closed"),
    "catalogue_frozen": N_("The sale is live: a change to a lot needs a reason"),
    "not_passed": N_("Only a passed lot may be offered again"),
    "not_subject_to": N_("The lot was not sold subject to the vendor's answer"),
    "no_booking": N_("No such phone booking"),
    "nothing_to_invoice": N_("Nothing to invoice"),
    "invoiced": N_("The lot is invoiced: issue a credit note first"),
    "not_invoiced": N_("The lot is on no invoice"),
    "unknown_invoice": N_("No such invoice"),
    "not_sold": N_("The lot is not sold"),
    "third_party": N_("Someone else pays: a reason is required"),
    "unpaid": N_("The buyer still owes: release needs an override reason"),
    "too_much": N_("More than is owed or was paid"),
    "unknown_consignor": N_("No such consignor"),
    "already_released": N_("The lot was released already"),
    "on_hold": N_("The bidder is on hold"),
    "not_on_hold": N_("The bidder is not on hold"),
    "cdd_required": N_("Due diligence is required before this bid"),
    "cdd_incomplete": N_("Due diligence is not complete"),
    "erased": N_("That identity was erased"),
    "journal_unavailable": N_("The journal could not record it: nothing happened"),
}


def refusal(reason: str | None, message: str | None = None) -> str:
    """Why the core refused, in the app's language: the core's (English) message in English,
    else the reason's sentence; an unknown reason falls back to the message or the code."""
    if _lang != i18n.SOURCE and reason in REASONS:
        return _(REASONS[reason])
    return message or (_(REASONS[reason]) if reason in REASONS else reason or _("refused"))


def qt_translator(app: Any) -> Any:
    """Install Qt's shipped catalogue (qtbase_<lang>.qm) for the app's language, so Qt's own
    words (Yes, No, Cancel) match; None when there is none (English, or a Qt without
    translations). The app is the translator's parent, so it stays alive."""
    from PySide6.QtCore import QLibraryInfo, QTranslator

    lang = babel_locale()
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if lang == i18n.SOURCE or not translator.load(f"qtbase_{lang}", folder):
        return None
    app.installTranslator(translator)
    return translator


# ------------------------------------------------------------------ the catalogue's ids


def core_ids() -> Iterator[str]:
    """Texts the app shows that are written in the core: the command registry's labels, groups
    and help, the quick messages, the lot statuses, the staff roles and the gavel backends'
    names."""
    from hardware import registry
    from hub.auction.commands import BINDINGS, COMMANDS, QUICK_MESSAGES
    from hub.auction.roles import LABELS
    from hub.backend.results import STATUS_LABELS

    for b in BINDINGS:
        yield from (b.label, b.group, b.help)
    for c in COMMANDS:
        yield c.label
    yield from STATUS_LABELS.values()
    yield from LABELS.values()
    yield from QUICK_MESSAGES
    for backend in registry.all_backends():  # the gavel tab's sources
        yield from (backend.title, backend.description, backend.target or "")


def _repo() -> Path:
    return Path(__file__).resolve().parent.parent


def extract_ids() -> dict[str, list[tuple[str, int]]]:
    """Every msgid of the app: `_()`/`N_()` texts in app/** (Babel's extractor) and
    `core_ids()`, each with where it is used."""
    from babel.messages.extract import extract_from_dir

    root = _repo()
    cfg = root / "resources" / "locale" / "babel.cfg"
    from babel.messages.frontend import parse_mapping_cfg

    with cfg.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        root / "app",
        method_map,
        options_map,
        keywords={"_": None, "N_": None},
        strip_comment_tags=True,
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, []).append((f"app/{filename}", lineno))
    for message in core_ids():
        if message:
            found.setdefault(message, []).append(("hub/auction/commands.py", 0))
    return found


def update_catalogues(langs: tuple[str, ...] = ("de", "fr")) -> dict[str, int]:
    """Merge the extracted ids into each language's app.po (new ids untranslated, removed ones
    dropped); returns how many ids each language still lacks."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = Catalog(domain=DOMAIN, project="Auctionmen")
    for message, where in sorted(extract_ids().items()):
        template.add(message, locations=[w for w in where if w[1]])
    out: dict[str, int] = {}
    for lang in langs:
        path = i18n.po_path(lang, DOMAIN)
        if path.is_file():
            with path.open("rb") as f:
                cat = read_po(f, locale=lang, domain=DOMAIN)
        else:
            cat = Catalog(locale=lang, domain=DOMAIN, project="Auctionmen")
        before = {(m.id, m.string) for m in cat if m.id}
        cat.update(template, no_fuzzy_matching=True)
        cat.obsolete.clear()
        out[lang] = sum(1 for m in cat if m.id and not m.string)
        if path.is_file() and before == {(m.id, m.string) for m in cat if m.id}:
            continue  # no text changed: the file (and its dates) stay as they are
        cat.project, cat.version = "Auctionmen", "1"
        cat.msgid_bugs_address = ""
        cat.last_translator = cat.language_team = "Auctionmen <translations@auctionmen.invalid>"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:  # no line numbers: the files change only with the texts
            write_po(f, cat, width=100, sort_output=True, omit_header=False, no_location=True)
    return out


if __name__ == "__main__":
    for lang, lacking in update_catalogues().items():
        print(f"{i18n.po_path(lang, DOMAIN)}: {lacking} untranslated")
    sys.exit(0)
