"""Turn a sale description (the demo sale, an import) into the commands that create it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

JSON = dict[str, Any]


def sale_commands(sale: JSON) -> list[JSON]:
    """The commands that build `sale`: create it, add its lots, register its bidders, books,
    and go live (unless the description says `"draft": true`).

    Bidder names are not part of the commands: identities live outside the journal so they
    can be erased when their retention ends without breaking the hash chain.
    """
    commands: list[JSON] = [{"op": "create_sale", "sale": sale["sale"]}]
    commands += [{"op": "add_lot", "lot": lot} for lot in sale.get("lots", [])]
    for bidder in sale.get("bidders", []):
        command = {"op": "register_bidder"}
        command.update({k: v for k, v in bidder.items() if k != "name"})
        commands.append(command)
    commands += [{"op": "absentee_bid", **book} for book in sale.get("absentee", [])]
    if not sale.get("draft"):
        commands.append({"op": "go_live"})
    return commands


def demo_sale() -> JSON:
    """The sample sale shipped in resources/sample, id `demo`."""
    text = resources.files("resources").joinpath("sample/demo_sale.json").read_text("utf-8")
    data: JSON = json.loads(text)
    return data
