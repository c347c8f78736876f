"""The OpenAPI 3.1 document of the gateway (the Mercure hub is described by its own spec).

The command schemas are built from the command registry (`hub/auction/commands.py`): one
schema per op with its fields, and `Command` as their `oneOf` on `op`. A new command appears
here without an edit.
"""

from __future__ import annotations

from typing import Any

from hub.auction.commands import COMMANDS, STAFF, Command, Field
from hub.auction.parse import MAX_AMOUNT, MAX_SEQ

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


# What each registry field kind holds on the wire (the engine checks the values again).
_KINDS: dict[str, JSON] = {
    "lot": {"type": "string", "maxLength": 32},
    "paddle": {"type": ["string", "integer"], "maxLength": 32, "minimum": 0},
    "amount": {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_AMOUNT,
        "description": "minor units of the sale currency",
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
                    "properties": {
                        "lot": {"type": "string", "maxLength": 32},
                        "amount": {"type": "integer", "minimum": 1},
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
        "paths": {
            "/api/commands": {
                "get": {
                    "summary": "Every command (op, roles, fields, events) and every key binding",
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
                        **_json(
                            {
                                "type": "object",
                                "required": ["name", "email"],
                                "properties": {
                                    "name": {"type": "string", "maxLength": 200},
                                    "email": {"type": "string", "maxLength": 254},
                                    "phone": {"type": "string", "maxLength": 40},
                                },
                            }
                        ),
                    },
                    "responses": {
                        "202": {"description": "pending", **_json({"type": "object"})},
                        "400": _problem("not JSON"),
                        "415": _problem("not JSON"),
                        "422": _problem("malformed"),
                        "429": _problem("rate limited"),
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
                    "summary": "Pair a clerk terminal with the PIN shown on stage",
                    "requestBody": {
                        "required": True,
                        **_json(
                            {
                                "type": "object",
                                "required": ["pin"],
                                "properties": {"pin": {"type": "string"}},
                            }
                        ),
                    },
                    "responses": {
                        "200": {"description": "clerk token", **_json({"type": "object"})},
                        "403": _problem("wrong PIN"),
                        "429": _problem("rate limited"),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI"}},
                }
            },
        },
    }
