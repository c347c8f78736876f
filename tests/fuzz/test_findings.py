"""What fuzzing the topic selectors found, and the regression tests that keep it fixed.

Stacked wildcards make one selector cost a few hundred thousand NFA steps per topic. A URL
pattern `/` + 4,000 `*` (within `max_selector_length`), or a URI template of 1,000 `{+a}`,
visits ~120,000-200,000 states to match one short topic, about 0.3-1.5 s of the hub's event
loop on this VM, and compiling it costs ~0.3 s more. A subscriber's selectors are matched
against every new topic in the dispatch path, so one 8 KB subscribe request can stall the
stage (or a relay node) for seconds per new topic, per connection. `MATCH_STEP_BUDGET`
(200,000) bounds it, but at a cost far above any honest selector's (a few hundred states).

Fixed: hub/mercure/topics.py refuses (400, `SelectorError`) a selector whose program has more
than `MAX_REPEATS` skippable repeats; honest selectors have a handful.
"""

from __future__ import annotations

import pytest

from hub.mercure import topics

BASE = "https://localhost/.well-known/mercure"
TOPIC = "https://localhost/sales/demo/lots/12?x=1"
MAX_STATES = 20_000  # per (selector, topic): 100x what an honest selector needs


@pytest.fixture
def visited(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The NFA states each closure visits (a deterministic cost, unlike a clock)."""
    counts: list[int] = []
    closure = topics._Nfa._closure

    def counting(self: topics._Nfa, pcs: list[int], out: set[int], budget: list[int]) -> None:
        closure(self, pcs, out, budget)
        counts.append(len(out))

    monkeypatch.setattr(topics._Nfa, "_closure", counting)
    return counts


def test_an_honest_pattern_costs_little(visited: list[int]) -> None:
    for kind, text in (
        (topics.URLPATTERN, "/sales/:sale/lots/*"),
        (topics.URLPATTERN, "https://localhost/sales/*/lots/*"),
        (topics.URITEMPLATE, "https://localhost/sales/{sale}/lots/{lot}{?x}"),
    ):
        selector = topics.compile_selector(kind, text, BASE)
        assert selector.matches(TOPIC) in (True, False)
    assert sum(visited) <= 2_000


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (topics.URLPATTERN, "/" + "*" * 4000),
        (topics.URLPATTERN, "*://*" + "*" * 4000),
        (topics.URITEMPLATE, "{+a}" * 1000),
    ],
    ids=["path-stars", "any-stars", "template-reserved"],
)
def test_stacked_wildcards_cost_is_bounded(kind: str, text: str, visited: list[int]) -> None:
    assert len(text) <= 4096  # the hub accepts it (max_selector_length)
    try:
        selector = topics.compile_selector(kind, text, BASE)
    except topics.SelectorError:
        return  # refused as too complex (400): bounded too
    selector.matches(TOPIC)
    assert sum(visited) <= MAX_STATES, f"{sum(visited)} NFA states for one topic"
