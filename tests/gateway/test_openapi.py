"""The OpenAPI document lists the commands from the registry, and every reference resolves."""

from __future__ import annotations

import json
from typing import Any

from hub.auction.commands import COMMANDS, STAFF
from hub.gateway.openapi import document


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_command_has_its_schema_from_the_registry():
    schemas = document()["components"]["schemas"]
    for command in COMMANDS:
        schema = schemas[f"Command.{command.op}"]
        assert schema["properties"]["op"] == {"const": command.op}
        assert set(schema["properties"]) == {"op", *(f.name for f in command.fields)}
        assert schema["required"] == ["op", *(f.name for f in command.fields if f.required)]
        assert schema["x-events"] == list(command.events)


def test_staff_commands_are_one_of_by_op():
    command = document()["components"]["schemas"]["Command"]
    staff = [c.op for c in COMMANDS if c.roles & STAFF]
    assert [r["$ref"].rsplit(".", 1)[1] for r in command["oneOf"]] == staff
    assert command["discriminator"]["propertyName"] == "op"
    assert set(command["discriminator"]["mapping"]) == set(staff)
    assert "bid" not in staff
    assert "create_sale" not in staff


def test_choices_and_optional_fields():
    schemas = document()["components"]["schemas"]
    mode = schemas["Command.set_increment"]["properties"]["mode"]
    assert mode["enum"] == ["half", "double", "reset", "amount", None]
    amount = schemas["Command.set_ask"]["properties"]["amount"]
    assert amount["type"] == "integer"  # required: never null
    assert schemas["Command.floor_bid"]["properties"]["amount"]["type"] == ["integer", "null"]


def test_command_catalogue_route_is_documented():
    doc = document()
    get = doc["paths"]["/api/commands"]["get"]
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/CommandCatalogue"


def test_every_reference_resolves_and_the_document_is_json():
    doc = json.loads(json.dumps(document(), allow_nan=False))
    for ref in _refs(doc):
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert isinstance(node, dict), ref


def test_the_sale_day_commands_are_documented():
    schemas = document()["components"]["schemas"]
    accept = schemas["Command.resolve_subject_to"]["properties"]["accept"]
    assert accept == {"type": "boolean"}
    assert schemas["Command.resolve_subject_to"]["required"] == ["op", "lot", "accept"]
    edit = schemas["Command.edit_lot"]
    assert edit["properties"]["changes"]["type"] == "object"
    assert edit["x-events"] == ["lot_edited", "lot_amended"]
    staff = [r["$ref"] for r in schemas["Command"]["oneOf"]]
    for op in ("go_live", "close_sale", "end_session", "message", "book_phone", "reoffer"):
        assert f"#/components/schemas/Command.{op}" in staff
