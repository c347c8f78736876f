"""The OpenAPI 3.1 document of the gateway (the Mercure hub is described by its own spec)."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_SALE = {"name": "sale", "in": "path", "required": True, "schema": {"type": "string"}}


def _json(schema: JSON) -> JSON:
    return {"content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> JSON:
    return {"description": description, "content": {"application/problem+json":
                                                      {"schema": _PROBLEM}}}


def document(version: str = "0.1.0") -> JSON:
    answer = {"$ref": "#/components/schemas/Answer"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Auctionmen stage API", "version": version,
                 "description": "Bids, staff commands and snapshots of a live sale. Live "
                 "events come over Mercure at /.well-known/mercure."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["title", "status", "reason", "detail"],
                    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                   "status": {"type": "integer"},
                                   "reason": {"type": "string"},
                                   "detail": {"type": "string"}},
                },
                "Lot": {
                    "type": ["object", "null"],
                    "properties": {
                        "id": {"type": "string"}, "title": {"type": "string"},
                        "status": {"enum": ["pending", "open", "fair_warning", "sold",
                                            "passed", "withdrawn"]},
                        "ask": {"type": "integer"}, "increment": {"type": "integer"},
                        "high": {"type": ["object", "null"]},
                        "estimate": {"type": "object"}, "currency": {"type": "string"},
                    },
                },
                "Snapshot": {
                    "type": "object",
                    "required": ["seq", "sale", "lot", "lots"],
                    "properties": {"seq": {"type": "integer"}, "epoch": {"type": "integer"},
                                   "sale": {"type": "object"},
                                   "lot": {"$ref": "#/components/schemas/Lot"},
                                   "lots": {"type": "array", "items": {"type": "object"}}},
                },
                "Bid": {
                    "type": "object",
                    "required": ["lot", "amount"],
                    "properties": {"lot": {"type": "string", "maxLength": 32},
                                   "amount": {"type": "integer", "minimum": 1},
                                   "seen_seq": {"type": ["integer", "null"]},
                                   "key": {"type": "string", "pattern":
                                           "^[A-Za-z0-9._:-]{1,128}$"}},
                },
                "Command": {
                    "type": "object",
                    "required": ["op"],
                    "properties": {"op": {"type": "string"}, "lot": {"type": "string"},
                                   "key": {"type": "string"}},
                    "additionalProperties": True,
                },
                "Answer": {
                    "type": "object",
                    "required": ["ok", "seq"],
                    "properties": {"ok": {"type": "boolean"}, "seq": {"type": "integer"},
                                   "reason": {"type": "string"}, "detail": {"type": "string"},
                                   "state": {"type": ["object", "null"]},
                                   "events": {"type": "array"}},
                },
            },
        },
        "paths": {
            "/api/sales/current": {"get": {
                "summary": "The sale this stage is running",
                "responses": {"200": {"description": "sale id and title",
                                      **_json({"type": "object"})}},
            }},
            "/api/sales/{sale}/state": {"get": {
                "summary": "Snapshot of the sale and its current lot",
                "parameters": [_SALE],
                "responses": {"200": {"description": "snapshot",
                                      **_json({"$ref": "#/components/schemas/Snapshot"})},
                              "404": _problem("unknown sale")},
            }},
            "/api/sales/{sale}/bids": {"post": {
                "summary": "Place a bid (bidder token)",
                "security": [{"bearer": []}],
                "parameters": [_SALE],
                "requestBody": {"required": True,
                                **_json({"$ref": "#/components/schemas/Bid"})},
                "responses": {
                    "200": {"description": "accepted", **_json(answer)},
                    "202": {"description": "waiting for the clerk", **_json(answer)},
                    "409": {"description": "refused, with the reason and current state",
                            **_json(answer)},
                    "400": _problem("not JSON"), "401": _problem("no or bad token"),
                    "403": _problem("not a bidder"), "413": _problem("too large"),
                    "415": _problem("not JSON"), "422": _problem("malformed"),
                    "429": _problem("rate limited"), "503": _problem("journal unavailable"),
                },
            }},
            "/api/sales/{sale}/commands": {"post": {
                "summary": "A staff command (open_lot, floor_bid, hammer, …)",
                "security": [{"bearer": []}],
                "parameters": [_SALE],
                "requestBody": {"required": True,
                                **_json({"$ref": "#/components/schemas/Command"})},
                "responses": {
                    "200": {"description": "done", **_json(answer)},
                    "409": {"description": "refused", **_json(answer)},
                    "400": _problem("not JSON"), "401": _problem("no or bad token"),
                    "403": _problem("not staff"), "413": _problem("too large"),
                    "415": _problem("not JSON"), "422": _problem("malformed"),
                    "503": _problem("journal unavailable"),
                },
            }},
            "/api/sales/{sale}/register": {"post": {
                "summary": "Sign up to bid online (pending until staff approve)",
                "parameters": [_SALE],
                "requestBody": {"required": True, **_json({
                    "type": "object", "required": ["name", "email"],
                    "properties": {"name": {"type": "string", "maxLength": 200},
                                   "email": {"type": "string", "maxLength": 254},
                                   "phone": {"type": "string", "maxLength": 40}}})},
                "responses": {"202": {"description": "pending", **_json({"type": "object"})},
                              "400": _problem("not JSON"), "415": _problem("not JSON"),
                              "422": _problem("malformed"), "429": _problem("rate limited")},
            }},
            "/api/session": {"post": {
                "summary": "Exchange a bearer token for the hub cookie",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "session", **_json({"type": "object"})},
                              "401": _problem("no or bad token")},
            }},
            "/api/pair": {"post": {
                "summary": "Pair a clerk terminal with the PIN shown on stage",
                "requestBody": {"required": True, **_json({
                    "type": "object", "required": ["pin"],
                    "properties": {"pin": {"type": "string"}}})},
                "responses": {"200": {"description": "clerk token", **_json({"type": "object"})},
                              "403": _problem("wrong PIN"), "429": _problem("rate limited")},
            }},
            "/api/openapi.json": {"get": {"summary": "This document",
                                          "responses": {"200": {"description": "OpenAPI"}}}},
        },
    }
