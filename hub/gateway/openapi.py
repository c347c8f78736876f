"""The OpenAPI 3.1 document of the gateway (the Mercure hub is described by its own spec).

The command schemas are built from the command registry (`hub/auction/commands.py`): one
schema per op with its fields, and `Command` as their `oneOf` on `op`. A new command appears
here without an edit.
"""

from __future__ import annotations

from typing import Any

from hub.auction.commands import COMMANDS, STAFF, Command, Field
from hub.auction.parse import MAX_AMOUNT, MAX_SEQ
from hub.gateway.api import SIGN_UP_FIELDS

JSON = dict[str, Any]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_SALE = {"name": "sale", "in": "path", "required": True, "schema": {"type": "string"}}


def _json(schema: JSON) -> JSON:
    return {"content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> JSON:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }


_NO_FRACTION = "written without a fraction or exponent (1.0 and 1e3 are refused)"

# What each registry field kind holds on the wire (the engine checks the values again).
_KINDS: dict[str, JSON] = {
    "lot": {"type": "string", "maxLength": 32},
    "paddle": {"type": ["string", "integer"], "maxLength": 32, "minimum": 0},
    "amount": {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_AMOUNT,
        "format": "int64",
        "description": "minor units of the sale currency, " + _NO_FRACTION,
    },
    "text": {"type": "string"},
    "int": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
    "number": {"type": "number"},
    "choice": {"type": "string"},
    "object": {"type": "object"},
    "list": {"type": "array"},
    "bool": {"type": "boolean"},
}


def _command_name(op: str) -> str:
    return f"Command.{op}"


def _field_schema(f: Field) -> JSON:
    schema = dict(_KINDS[f.kind])
    if f.choices:
        schema["enum"] = list(f.choices)
    if f.help:
        schema["description"] = f.help
    if not f.required:  # an absent field and a null one mean the same to the engine
        kind = schema.pop("type")
        types = kind if isinstance(kind, list) else [kind]
        schema["type"] = [*types, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def command_schema(command: Command) -> JSON:
    """One op's request body: `op` plus its fields, from the registry."""
    return {
        "type": "object",
        "title": command.label,
        "description": command.help,
        "required": ["op", *(f.name for f in command.fields if f.required)],
        "properties": {
            "op": {"const": command.op},
            **{f.name: _field_schema(f) for f in command.fields},
        },
        "additionalProperties": True,
        "x-roles": sorted(command.roles) or ["system"],
        "x-events": list(command.events),
    }


def _command_schemas() -> JSON:
    schemas: JSON = {_command_name(c.op): command_schema(c) for c in COMMANDS}
    staff = [c.op for c in COMMANDS if c.roles & STAFF]
    schemas["Command"] = {
        "description": "A staff command: one of the ops staff may send, by `op`",
        "oneOf": [{"$ref": f"#/components/schemas/{_command_name(op)}"} for op in staff],
        "discriminator": {
            "propertyName": "op",
            "mapping": {op: f"#/components/schemas/{_command_name(op)}" for op in staff},
        },
    }
    return schemas


_CATALOGUE = {
    "type": "object",
    "required": ["commands", "bindings", "quick_messages"],
    "properties": {
        "quick_messages": {"type": "array", "items": {"type": "string"}},
        "commands": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["op", "roles", "fields", "events", "label", "help"],
                "properties": {
                    "op": {"type": "string"},
                    "roles": {"type": "array", "items": {"type": "string"}},
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "kind", "required"],
                            "properties": {
                                "name": {"type": "string"},
                                "kind": {"enum": list(_KINDS)},
                                "required": {"type": "boolean"},
                                "choices": {"type": "array", "items": {"type": "string"}},
                                "help": {"type": "string"},
                            },
                        },
                    },
                    "events": {"type": "array", "items": {"type": "string"}},
                    "label": {"type": "string"},
                    "help": {"type": "string"},
                },
            },
        },
        "bindings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["action", "op", "key", "label", "group", "help", "preset", "prompt"],
                "properties": {
                    "action": {"type": "string"},
                    "op": {"type": ["string", "null"]},
                    "key": {"type": "string"},
                    "label": {"type": "string"},
                    "group": {"type": "string"},
                    "help": {"type": "string"},
                    "preset": {"type": "object"},
                    "prompt": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def _sign_up() -> JSON:
    """The sign-up body, from the fields the handler reads (hub/gateway/api.py)."""
    properties: JSON = {}
    for name, limit, required in SIGN_UP_FIELDS:
        text: JSON = {"type": "string", "minLength": 1, "maxLength": limit, "pattern": r"\S"}
        if name == "email":
            text["pattern"] = "@"
        # An optional field may be left out, null or empty; a given one is not blank.
        properties[name] = text if required else {"anyOf": [text, {"enum": [None, ""]}]}
    needed = [name for name, _, always in SIGN_UP_FIELDS if always]
    example = {"name": "Ann Lee", "email": "ann@example.org", "phone": "+44 20 7946 0000"}
    return {
        "type": "object",
        "required": needed,
        "properties": properties,
        "examples": [example],
    }


def _sale_routes(paths: JSON) -> JSON:
    """Every route under a sale answers 404 `unknown_sale` for another sale's id; every one
    that takes a token answers 401 for a bad one and 403 for another sale's."""
    for operations in paths.values():
        for operation in operations.values():
            responses = operation["responses"]
            names = {p["name"] for p in operation.get("parameters", [])}
            if "sale" in names:
                responses.setdefault("404", _problem("unknown_sale: not the sale this stage runs"))
            if operation.get("security"):
                responses.setdefault("401", _problem("no or bad token"))
                responses.setdefault("403", _problem("forbidden, or a token for another sale"))
    return paths


def document(version: str = "0.1.0") -> JSON:
    answer = {"$ref": "#/components/schemas/Answer"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Auctionmen stage API",
            "version": version,
            "description": "Bids, staff commands and snapshots of a live sale. Live "
            "events come over Mercure at /.well-known/mercure.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["title", "status", "reason", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "reason": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
                "Lot": {
                    "type": ["object", "null"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {
                            "enum": [
                                "pending",
                                "open",
                                "fair_warning",
                                "sold",
                                "passed",
                                "withdrawn",
                            ]
                        },
                        "ask": {"type": "integer"},
                        "increment": {"type": "integer"},
                        "high": {"type": ["object", "null"]},
                        "estimate": {"type": "object"},
                        "currency": {"type": "string"},
                    },
                },
                "Snapshot": {
                    "type": "object",
                    "required": ["seq", "sale", "lot", "lots"],
                    "properties": {
                        "seq": {"type": "integer"},
                        "epoch": {"type": "integer"},
                        "sale": {"type": "object"},
                        "lot": {"$ref": "#/components/schemas/Lot"},
                        "lots": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "Bid": {
                    "type": "object",
                    "required": ["lot", "amount"],
                    "examples": [{"lot": "1", "amount": 10000, "key": "example-bid-1"}],
                    "properties": {
                        "lot": {"type": "string", "maxLength": 32},
                        "amount": {
                            "type": "integer",
                            "format": "int64",
                            "minimum": 1,
                            "maximum": MAX_AMOUNT,
                            "description": "minor units, " + _NO_FRACTION,
                        },
                        "seen_seq": {"type": ["integer", "null"]},
                        "key": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
                    },
                },
                **_command_schemas(),
                "CommandCatalogue": _CATALOGUE,
                "Answer": {
                    "type": "object",
                    "required": ["ok", "seq"],
                    "properties": {
                        "ok": {"type": "boolean"},
                        "seq": {"type": "integer"},
                        "reason": {"type": "string"},
                        "detail": {"type": "string"},
                        "state": {"type": ["object", "null"]},
                        "events": {"type": "array"},
                    },
                },
            },
        },
        "paths": _sale_routes(
            {
                "/api/commands": {
                    "get": {
                        "summary": "Every command (op, roles, fields, events) and key binding",
                        "description": "Clients build their buttons, keys and help from it.",
                        "responses": {
                            "200": {
                                "description": "the command registry",
                                **_json({"$ref": "#/components/schemas/CommandCatalogue"}),
                            }
                        },
                    }
                },
                "/api/sales/current": {
                    "get": {
                        "summary": "The sale this stage is running",
                        "responses": {
                            "200": {"description": "sale id and title", **_json({"type": "object"})}
                        },
                    }
                },
                "/api/sales": {
                    "get": {
                        "summary": "Every sale in the stage's data dir (staff token)",
                        "description": "id, title, house, status (draft, live, closed), lot counts,"
                        " hammer total (minor units), currency, sessions, head hash; a journal that"
                        " cannot be read has `error`.",
                        "security": [{"bearer": []}],
                        "responses": {
                            "200": {
                                "description": "current sale and the list",
                                **_json({"type": "object"}),
                            },
                            "401": _problem("no or bad token"),
                            "403": _problem("not staff"),
                        },
                    }
                },
                "/api/sales/{sale}/state": {
                    "get": {
                        "summary": "Snapshot of the sale and its current lot",
                        "parameters": [_SALE],
                        "responses": {
                            "200": {
                                "description": "snapshot",
                                **_json({"$ref": "#/components/schemas/Snapshot"}),
                            },
                            "404": _problem("unknown sale"),
                        },
                    }
                },
                "/api/sales/{sale}/results": {
                    "get": {
                        "summary": "The results so far, one row per lot (staff token)",
                        "security": [{"bearer": []}],
                        "parameters": [_SALE],
                        "responses": {
                            "200": {
                                "description": "sale id and rows (hub/backend/results.py)",
                                **_json({"type": "object", "required": ["sale", "results"]}),
                            },
                        },
                    }
                },
                "/api/sales/{sale}/results.csv": {
                    "get": {
                        "summary": "The same rows as a CSV download, amounts in major units",
                        "security": [{"bearer": []}],
                        "parameters": [_SALE],
                        "responses": {
                            "200": {
                                "description": "CSV",
                                "content": {"text/csv": {"schema": {"type": "string"}}},
                            },
                        },
                    }
                },
                "/api/sales/{sale}/bids": {
                    "post": {
                        "summary": "Place a bid (bidder token)",
                        "security": [{"bearer": []}],
                        "parameters": [_SALE],
                        "requestBody": {
                            "required": True,
                            **_json({"$ref": "#/components/schemas/Bid"}),
                        },
                        "responses": {
                            "200": {"description": "accepted", **_json(answer)},
                            "202": {"description": "waiting for the clerk", **_json(answer)},
                            "409": {
                                "description": "refused, with the reason and current state",
                                **_json(answer),
                            },
                            "400": _problem("not JSON"),
                            "401": _problem("no or bad token"),
                            "403": _problem("not a bidder"),
                            "413": _problem("too large"),
                            "415": _problem("not JSON"),
                            "422": _problem("malformed"),
                            "429": _problem("rate limited"),
                            "503": _problem("journal unavailable"),
                        },
                    }
                },
                "/api/sales/{sale}/commands": {
                    "post": {
                        "summary": "A staff command",
                        "description": "Ops: "
                        + ", ".join(c.op for c in COMMANDS if c.roles & STAFF)
                        + ". Each op's fields, "
                        "roles and events are in its schema and in GET /api/commands.",
                        "security": [{"bearer": []}],
                        "parameters": [_SALE],
                        "requestBody": {
                            "required": True,
                            **_json({"$ref": "#/components/schemas/Command"}),
                        },
                        "responses": {
                            "200": {"description": "done", **_json(answer)},
                            "409": {"description": "refused", **_json(answer)},
                            "400": _problem("not JSON"),
                            "401": _problem("no or bad token"),
                            "403": _problem("not staff"),
                            "413": _problem("too large"),
                            "415": _problem("not JSON"),
                            "422": _problem("malformed"),
                            "429": _problem("rate limited (a bidder's commission bids)"),
                            "503": _problem("journal unavailable"),
                        },
                    }
                },
                "/api/sales/{sale}/register": {
                    "post": {
                        "summary": "Sign up to bid online (pending until staff approve)",
                        "parameters": [_SALE],
                        "requestBody": {
                            "required": True,
                            **_json(_sign_up()),
                        },
                        "responses": {
                            "202": {"description": "pending", **_json({"type": "object"})},
                            "400": _problem("not JSON"),
                            "409": _problem("refused by the registrar"),
                            "413": _problem("too large"),
                            "415": _problem("not JSON"),
                            "422": _problem("malformed"),
                            "429": _problem("rate limited"),
                            "503": _problem("journal unavailable"),
                        },
                    }
                },
                "/api/session": {
                    "post": {
                        "summary": "Exchange a bearer token for the hub cookie",
                        "security": [{"bearer": []}],
                        "responses": {
                            "200": {"description": "session", **_json({"type": "object"})},
                            "401": _problem("no or bad token"),
                        },
                    }
                },
                "/api/pair": {
                    "post": {
                        "summary": "Pair a staff terminal: a person's name and own PIN, or (while "
                        "the house has no staff accounts) the PIN shown on stage",
                        "requestBody": {
                            "required": True,
                            **_json(
                                {
                                    "type": "object",
                                    "required": ["pin"],
                                    "properties": {
                                        "pin": {"type": "string"},
                                        "staff": {"type": "string", "maxLength": 100},
                                        "device": {"type": "string", "maxLength": 39},
                                    },
                                }
                            ),
                        },
                        "responses": {
                            "200": {"description": "staff token", **_json({"type": "object"})},
                            "400": _problem("not JSON"),
                            "403": _problem("wrong PIN, or staff_pin_required"),
                            "413": _problem("too large"),
                            "415": _problem("not JSON"),
                            "422": _problem("invalid device label"),
                            "429": _problem("rate limited, or locked after wrong PINs"),
                        },
                    }
                },
                "/api/openapi.json": {
                    "get": {
                        "summary": "This document",
                        "responses": {"200": {"description": "OpenAPI"}},
                    }
                },
                **_money_paths(),
                **_officer_paths(),
            }
        ),
    }


# -- the officer's routes (hub/gateway/officer.py) -------------------------------------------

_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^sar-[0-9]{1,12}$"},
}
_STATUS = {"enum": ["open", "reported", "closed"]}


def _officer(method: str, summary: str, params: list[JSON], body: JSON | None = None) -> JSON:
    operation: JSON = {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": {
            "200": {"description": "the note(s), Cache-Control no-store", **_json({})},
            "401": _problem("no or bad token"),
            "403": _problem("the person does not hold the officer role"),
            "404": _problem("no such note in this sale"),
            "422": _problem("bad text, paddle or status; or the sale refused the note"),
        },
    }
    if body is not None:
        operation["requestBody"] = body
        operation["responses"].update(
            {
                "400": _problem("not JSON"),
                "413": _problem("too large"),
                "415": _problem("not JSON"),
            }
        )
    return {method: operation}


def _officer_paths() -> JSON:
    """Suspicion notes: the officer role only; the journal gets the reference, not the text."""
    base = "/api/sales/{sale}/officer/notes"
    status = {"name": "status", "in": "query", "required": False, "schema": _STATUS}
    text = {"type": "string", "minLength": 1, "maxLength": 8000}
    note_body = _body(
        {"paddle": {"type": "string", "maxLength": 32}, "text": text}, ["paddle", "text"]
    )
    status_body = _body(
        {"status": _STATUS, "comment": {"type": "string", "minLength": 1, "maxLength": 500}},
        ["status", "comment"],
    )
    write = _officer("post", "Write a note (201); journals note_suspicion", [_SALE], note_body)
    responses = write["post"]["responses"]
    responses["201"] = {**responses.pop("200"), "description": "the note written"}
    return {
        base: {
            **_officer("get", "The suspicion notes of this sale, newest first", [_SALE, status]),
            **write,
        },
        f"{base}/{{ref}}": _officer("get", "One note with its status changes", [_SALE, _REF]),
        f"{base}/{{ref}}/status": _officer(
            "post", "Move a note to open, reported or closed", [_SALE, _REF], status_body
        ),
    }


# -- the money routes (hub/gateway/money.py) -------------------------------------------------

_PADDLE = {"name": "paddle", "in": "path", "required": True, "schema": {"type": "string"}}
_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
_AMOUNT = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_AMOUNT,
    "format": "int64",
    "description": "minor units of the sale currency, " + _NO_FRACTION,
}
_METHOD = {"enum": ["cash", "card", "transfer", "cheque", "other"]}
_KEY = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}
_LOTS = {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 5000}


def _body(properties: JSON, required: list[str]) -> JSON:
    schema = {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }
    return {"required": True, **_json(schema)}


def _money_post(summary: str, body: JSON, params: list[JSON], description: str = "") -> JSON:
    return {
        "post": {
            "summary": summary,
            "description": description,
            "security": [{"bearer": []}],
            "parameters": params,
            "requestBody": body,
            "responses": {
                "200": {"description": "done: the events and the buyer's account", **_json({})},
                "400": _problem("not JSON (NaN and Infinity are not JSON)"),
                "401": _problem("no or bad token"),
                "403": _problem("not staff"),
                "409": _problem("refused by the rules (too_much, unpaid, not_invoiced, ...)"),
                "413": _problem("too large"),
                "415": _problem("not JSON"),
                "422": _problem("malformed, unknown field, unknown paddle (unknown_bidder)"),
                "503": _problem("journal unavailable"),
            },
        }
    }


def _money_get(summary: str, params: list[JSON], media: str = "application/json") -> JSON:
    return {
        "get": {
            "summary": summary,
            "security": [{"bearer": []}],
            "parameters": params,
            "responses": {
                "200": {"description": summary, "content": {media: {"schema": {}}}},
                "401": _problem("no or bad token"),
                "403": _problem("not staff, or another buyer's"),
                "404": _problem("no such paddle, number or consignor"),
            },
        }
    }


def _money_paths() -> JSON:
    """The money routes: staff tokens, except where a buyer reads their own."""
    base = "/api/sales/{sale}"
    sale, paddle, number = [_SALE], [_SALE, _PADDLE], [_SALE, _NUMBER]
    doc_note = (
        " A browser tab cannot send a bearer token: after POST documents/session the HttpOnly"
        " cookie it sets opens the .html and .pdf forms."
    )
    paths: JSON = {
        f"{base}/accounts": _money_get("Every buyer's standing: due, paid, owed (staff)", sale),
        f"{base}/accounts/{{paddle}}": _money_get(
            "A buyer's account (AccountDoc): invoices, credit notes, what is not invoiced yet,"
            " payments, due, paid, owed, status, released and releasable lots. A bidder token"
            " reads only its own paddle.",
            paddle,
        ),
        f"{base}/accounts/{{paddle}}/payments": _money_post(
            "Record a payment (staff)",
            _body(
                {
                    "amount": _AMOUNT,
                    "method": _METHOD,
                    "reference": {"type": "string", "maxLength": 128},
                    "key": _KEY,
                    "payer": {"type": "string", "maxLength": 200},
                    "third_party_reason": {"type": "string", "maxLength": 500},
                },
                ["amount", "method"],
            ),
            paddle,
            "More than is owed is refused (too_much); a payer other than the buyer needs a"
            " reason (third_party); a retry with the same key counts once.",
        ),
        f"{base}/accounts/{{paddle}}/refunds": _money_post(
            "Record a refund (staff)",
            _body(
                {
                    "amount": _AMOUNT,
                    "method": _METHOD,
                    "reference": {"type": "string", "maxLength": 128},
                    "key": _KEY,
                    "reason": {"type": "string", "maxLength": 500},
                },
                ["amount", "method", "reason"],
            ),
            paddle,
        ),
        f"{base}/accounts/{{paddle}}/release": _money_post(
            "Release lots for collection (staff)",
            _body(
                {
                    "lots": _LOTS,
                    "override_reason": {"type": "string", "maxLength": 500},
                    "key": _KEY,
                },
                [],
            ),
            paddle,
            "lots [] = every releasable lot. Refused (unpaid) while the buyer owes anything,"
            " unless override_reason; not_invoiced for a lot not on their invoice.",
        ),
        f"{base}/invoices": _money_post(
            "Issue an invoice for one buyer's uninvoiced lots, or for every buyer (staff)",
            _body({"paddle": {"type": "string"}, "all": {"const": True}, "key": _KEY}, []),
            sale,
            'Send {"paddle": "101"} or {"all": true}. Numbers are house-wide and gap-free.',
        ),
        f"{base}/credit-notes": _money_post(
            "Issue a credit note for lots of an invoice (staff)",
            _body(
                {
                    "invoice": {"type": "string"},
                    "lots": _LOTS,
                    "reason": {"type": "string", "maxLength": 500},
                    "key": _KEY,
                },
                ["invoice", "lots", "reason"],
            ),
            sale,
        ),
        f"{base}/summary": _money_get("The sale summary (SummaryDoc, staff)", sale),
        f"{base}/consignors": _money_get("Each consignor's hammer, net and due (staff)", sale),
        f"{base}/exports/{{kind}}.csv": _money_get(
            "Accounting export as CSV, amounts in major units (staff); kind: invoices,"
            " credit_notes, lines, payments, refunds, payouts, settlements",
            [_SALE, {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}],
            "text/csv",
        ),
        f"{base}/exports/{{kind}}.json": _money_get(
            "Accounting export as JSON, amounts in minor units (staff)",
            [_SALE, {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}],
        ),
        f"{base}/documents/session": {
            "post": {
                "summary": "Trade the bearer token for the document cookie (staff, bidders)",
                "security": [{"bearer": []}],
                "parameters": sale,
                "responses": {
                    "200": {"description": "cookie set", **_json({"type": "object"})},
                    "401": _problem("no or bad token"),
                },
            }
        },
        "/sales/{sale}/prices-realised": {
            "get": {
                "summary": "The public prices realised page (no token; no buyer named)",
                "parameters": sale,
                "responses": {"200": {"description": "HTML page"}, "404": _problem("no sale")},
            }
        },
    }
    for segment, what in (
        ("invoices", "An invoice"),
        ("credit-notes", "A credit note"),
        ("receipts", "A payment's receipt (PAY-<seq>)"),
    ):
        own = f"{what}: staff, or the buyer it belongs to."
        paths[f"{base}/{segment}/{{number}}"] = _money_get(f"{own} (JSON)", number)
        paths[f"{base}/{segment}/{{number}}.html"] = _money_get(
            f"{own} Print-ready HTML." + doc_note, number, "text/html"
        )
        paths[f"{base}/{segment}/{{number}}.pdf"] = _money_get(
            f"{own} PDF (an invoice is a Factur-X PDF with its EN 16931 XML)." + doc_note,
            number,
            "application/pdf",
        )
    consignor = [
        _SALE,
        {"name": "consignor", "in": "path", "required": True, "schema": {"type": "string"}},
    ]
    paths[f"{base}/settlements/{{consignor}}"] = _money_get(
        "A consignor's settlement (staff, or that consignor's token)", consignor
    )
    paths[f"{base}/settlements/{{consignor}}.html"] = _money_get(
        "The settlement, print-ready" + doc_note, consignor, "text/html"
    )
    paths[f"{base}/settlements/{{consignor}}.pdf"] = _money_get(
        "The settlement as PDF" + doc_note, consignor, "application/pdf"
    )
    return paths
