"""Schemathesis against a live stage: the server answers what its OpenAPI document says.

A real stage runs on loopback in a thread of its own; schemathesis loads GET /api/openapi.json
and runs its examples, coverage, fuzzing and stateful phases with a bidder token and a staff
token, checking that no answer is a 5xx and that each status code, content type and body is the
one the document declares. The budget is small here; AUCTIONMEN_SCHEMATHESIS_EXAMPLES=<n> raises
the examples per operation for a longer campaign.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis import BaseSchema, engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from hub.config import StageConfig
from hub.stage import Stage

LARGE = os.environ.get("AUCTIONMEN_SCHEMATHESIS_EXAMPLES")
EXAMPLES = int(LARGE or "3")

# A long campaign runs as long as it takes (0: no pytest-timeout).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(0 if LARGE else 120)]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# What a bidder's token opens (the small run tests only these with it).
BIDDER_ROUTES = (
    r"^/api/(session|sales/current|sales/\{sale\}/(state|bids|commands|register"
    r"|documents/session|accounts/\{paddle\}))$"
)


class LiveStage:
    """A stage on its own event loop in a thread, so schemathesis (blocking) can call it."""

    def __init__(self, data_dir: Path) -> None:
        config = StageConfig(data_dir=data_dir, host="127.0.0.1", port=0, demo=True)
        self.stage = Stage(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Stage:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.stage.start(), self.loop).result(timeout=30)
        return self.stage

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.stage.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with LiveStage(tmp_path_factory.mktemp("schemathesis") / "stage") as stage:
        yield stage


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {token}"},
            "workers": 1,
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                # Every case the schema defines; the small run sends one unexpected method
                # per operation (405 with Allow) rather than each of them.
                "coverage": {"enabled": True, **({} if LARGE else {"unexpected-methods": ["put"]})},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": 2 * EXAMPLES},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def _failures(url: str, token: str, only: str | None) -> tuple[list[str], set[str]]:
    """Every failed check as text, and the phases that ran (`only`: the paths to test)."""
    schema: BaseSchema = schemathesis.openapi.from_url(url, config=_config(token))
    if only is not None and not LARGE:
        schema = schema.include(path_regex=only)
    failures: list[str] = []
    phases: set[str] = set()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: {event.value!r}")
        if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
            phases.add(getattr(event, "phase", "fuzzing").lower())
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        info = check.failure_info
                        failures.append(f"{check.name}: {info.failure!s} — {info.code_sample}")
    return failures, phases


@pytest.mark.parametrize("who", ["bidder", "staff"])
def test_the_server_answers_as_its_document_says(live: Stage, who: str) -> None:
    only = None
    if who == "bidder":
        token = live.issuer.issue("bidder", live.sale_id, paddle="7001")
        only = BIDDER_ROUTES  # the staff routes answer a bidder 403, as the staff run shows
    else:
        token = live.issuer.issue("auctioneer", live.sale_id)
    failures, phases = _failures(f"{live.url}/api/openapi.json", token, only)
    assert not failures, "\n".join(sorted(set(failures))[:40])
    assert {"examples", "coverage", "fuzzing", "stateful"} <= phases, phases
