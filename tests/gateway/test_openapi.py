"""The OpenAPI document lists the commands from the registry, and every reference resolves."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs

from hub.auction.commands import COMMANDS, STAFF
from hub.auction.parse import MAX_AMOUNT
from hub.gateway.api import SIGN_UP_FIELDS
from hub.gateway.openapi import document
from hub.stage import Stage
from tests.gateway.helpers import bearer

JSON = dict[str, Any]


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


# -- the document says what the server answers (issue 14, defect 10) ------------------------


def _valid(schema: JSON, value: object) -> bool:
    """Does `value` fit `schema` (its `#/components/...` references resolved)?"""
    root = {**schema, "components": document()["components"]}
    return bool(jsonschema_rs.validator_for(root).is_valid(value))


def _operations() -> list[tuple[str, str, JSON]]:
    paths = document()["paths"]
    return [(path, method, op) for path, ops in paths.items() for method, op in ops.items()]


def test_every_sale_route_documents_unknown_sale_and_every_token_route_401_403():
    for path, method, operation in _operations():
        responses = operation["responses"]
        if "{sale}" in path:
            assert "404" in responses, (method, path)
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), (method, path)


def test_the_results_routes_are_documented():
    paths = document()["paths"]
    assert (
        "text/csv" in paths["/api/sales/{sale}/results.csv"]["get"]["responses"]["200"]["content"]
    )
    assert paths["/api/sales/{sale}/results"]["get"]["security"] == [{"bearer": []}]


def test_every_path_parameter_is_a_string():
    # An untyped one let schemathesis put a raw list, '?' and all, in the path: a 405.
    for path, method, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"].get("type") == "string", (method, path)


def test_pairing_documents_not_json_too_large_and_wrong_media_type():
    responses = document()["paths"]["/api/pair"]["post"]["responses"]
    for status in ("400", "413", "415"):
        assert "application/problem+json" in responses[status]["content"], status


def test_every_route_reading_a_body_documents_400_413_415():
    for path, method, operation in _operations():
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)


def test_the_sign_up_schema_refuses_what_the_server_refuses():
    body = document()["paths"]["/api/sales/{sale}/register"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert _valid(schema, {"name": "Ann Lee", "email": "ann@example.org", "phone": ""})
    assert _valid(schema, {"name": "Ann Lee", "email": "ann@example.org", "phone": None})
    assert not _valid(schema, {"name": "", "email": "ann@example.org"})
    assert not _valid(schema, {"name": "   ", "email": "ann@example.org"})
    assert not _valid(schema, {"name": "Ann", "email": ""})
    assert not _valid(schema, {"name": "Ann", "email": "no-at-sign"})
    assert not _valid(schema, {"name": "Ann", "email": "a@b", "phone": " "})
    assert not _valid(schema, {"name": "x" * 201, "email": "a@b"})
    assert set(schema["properties"]) == {name for name, _, _ in SIGN_UP_FIELDS}


def test_the_command_schema_refuses_an_empty_or_unknown_op():
    command = {"$ref": "#/components/schemas/Command"}
    assert _valid(command, {"op": "set_ask", "lot": "1", "amount": 100})
    for op in ("", "bid", "no_such_op", None, 1):
        assert not _valid(command, {"op": op, "lot": "1", "amount": 100}), op


def test_amounts_say_integral_floats_are_refused():
    schemas = document()["components"]["schemas"]
    for amount in (
        schemas["Bid"]["properties"]["amount"],
        schemas["Command.set_ask"]["properties"]["amount"],
    ):
        assert amount["type"] == "integer"
        assert amount["format"] == "int64"
        assert "1.0" in amount["description"]
        assert amount["maximum"] == MAX_AMOUNT


async def test_a_malformed_bid_is_problem_json_as_documented(stage: Stage, http):
    token = stage.issuer.issue("bidder", stage.sale_id, paddle="7001")
    async with http.post(
        f"/api/sales/{stage.sale_id}/bids", json={"lot": "", "amount": 1}, headers=bearer(token)
    ) as response:
        assert response.status == 422
        assert response.content_type == "application/problem+json"
        body = await response.json()
    assert body["status"] == 422
    assert body["reason"]
    assert body["detail"]
    assert body["title"] == "Unprocessable content"


async def test_a_malformed_command_is_problem_json_as_documented(stage: Stage, http):
    token = stage.issuer.issue("auctioneer", stage.sale_id)
    async with http.post(
        f"/api/sales/{stage.sale_id}/commands", json={"op": ""}, headers=bearer(token)
    ) as response:
        assert response.status == 422
        assert response.content_type == "application/problem+json"
        body = await response.json()
    assert body["status"] == 422
    assert body["reason"] in ("invalid", "unknown_op")


async def test_a_pair_that_is_not_json_is_documented(http):
    async with http.post("/api/pair", data="pin=1") as response:
        assert response.status == 415
        assert response.content_type == "application/problem+json"
