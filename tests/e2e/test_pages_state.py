# ruff: noqa: E501  (the JavaScript under test is embedded as strings)
"""Unit tests of resources/web/js/state.js (and the DOM helper), run inside Debian's Chromium."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pages_harness import HOSTILE, browser, event, high, lot, module_page, snapshot

__all__ = ["browser"]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def js(browser: Any) -> Iterator[Any]:
    with module_page(browser, S="state.js", U="ui.js") as page:
        yield page


def run(js: Any, body: str, arg: Any = None) -> Any:
    """Evaluate `body` (a function body using S, U and `arg`) in the page."""
    return js.evaluate(f"(arg) => {{ const S = window.S, U = window.U; {body} }}", arg)


OPEN = event(2, "lot_opened", lot(changed_seq=2), {"ask": 50000})
MINE = event(
    3,
    "bid_accepted",
    lot(high=high(50000, "7001"), ask=55000, bids=1, changed_seq=3),
    {"bid": {"id": "1.1", "amount": 50000, "paddle": "7001", "channel": "online"}},
)
OTHER = event(
    4,
    "bid_accepted",
    lot(high=high(55000, "101", "floor"), ask=60000, bids=2, changed_seq=4),
    {"bid": {"id": "1.2", "amount": 55000, "paddle": "101", "channel": "floor"}},
)


def test_duplicate_and_late_events_change_nothing(js: Any) -> None:
    out = run(
        js,
        """
        let s = S.initialState({paddle: '7001', status: 'approved'});
        for (const e of arg.events) s = S.applyEvent(s, e);
        const json = JSON.stringify(s);
        const again = S.applyEvent(s, arg.events[1]);      // applied twice
        const late = S.applyEvent(s, arg.events[0]);       // arrives late
        const noSeq = S.applyEvent(s, {type: 'bid_accepted', lot: arg.events[1].lot});
        return {same: again === s && late === s && noSeq === s, equal: JSON.stringify(late) === json,
                seq: s.seq, ask: s.lot.ask, high: s.lot.high.paddle};
    """,
        {"events": [OPEN, MINE, OTHER]},
    )
    assert out == {"same": True, "equal": True, "seq": 4, "ask": 60000, "high": "101"}


def test_newer_epoch_wins_and_lots_list_follows_events(js: Any) -> None:
    out = run(
        js,
        """
        let s = S.applySnapshot(S.initialState(), arg.snap);
        s = S.applyEvent(s, arg.open);
        const restarted = {...arg.open, epoch: 2, seq: 1, type: 'fair_warning',
                           lot: {...arg.open.lot, status: 'fair_warning'}};
        const t = S.applyEvent(s, restarted);
        return {status: t.lot.status, epoch: t.epoch, listed: t.lots.find(l => l.id === '1').status,
                upcoming: S.upcoming(t).map(l => l.id), next: S.nextPendingLot(t).id};
    """,
        {"snap": snapshot(1, None), "open": OPEN},
    )
    assert out == {
        "status": "fair_warning",
        "epoch": 2,
        "listed": "fair_warning",
        "upcoming": ["2", "3", "4", "5", "6"],
        "next": "2",
    }


def test_bidder_status_words(js: Any) -> None:
    sold_to_me = event(
        6,
        "lot_sold",
        lot(status="sold", high=high(50000, "7001"), hammer={"amount": 50000, "paddle": "7001"}),
        {"hammer": {"amount": 50000, "paddle": "7001"}},
    )
    sold_other = event(
        6,
        "lot_sold",
        lot(
            status="sold",
            high=high(55000, "101", "floor"),
            hammer={"amount": 55000, "paddle": "101"},
        ),
        {"hammer": {"amount": 55000, "paddle": "101"}},
    )
    out = run(
        js,
        """
        const me = {paddle: '7001', status: 'approved'};
        const seen = [];
        const look = (s) => { const v = S.bidderStatus(s); seen.push([v.text, v.canBid, v.reason]); return s; };
        let s = look(S.initialState(me));
        s = look(S.applyEvent(s, arg.open));
        s = look(S.applyEvent(s, arg.mine));
        s = look(S.applyEvent(s, arg.other));
        const fw = {...arg.other, seq: 5, type: 'fair_warning', lot: {...arg.other.lot, status: 'fair_warning'}};
        look(S.applyEvent(s, fw));
        look(S.applyEvent(S.applyEvent(S.initialState(me), arg.open), {...fw, lot: {...fw.lot, high: {amount: 55000, paddle: '7001', channel: 'online'}}}));
        look(S.applyEvent(s, {...fw, lot: {...fw.lot, high: {amount: 55000, paddle: '102'}}, seq: 5}));
        look(S.applyEvent(s, arg.soldToMe));
        look(S.applyEvent(s, arg.soldOther));
        look(S.applyEvent(s, {...arg.other, seq: 6, type: 'lot_passed', lot: {...arg.other.lot, status: 'passed'}}));
        look(S.applyEvent(s, {...arg.other, seq: 6, type: 'lot_withdrawn', lot: {...arg.other.lot, status: 'withdrawn'}}));
        look(S.applyEvent(s, {seq: 6, epoch: 1, type: 'sale_paused', sale: 'demo', lot: null, data: {message: 'Coffee break'}}));
        const fresh = S.applyEvent(S.initialState(me), arg.open);
        look({...fresh, me: {...fresh.me, status: 'pending'}});
        look({...fresh, me: {...fresh.me, credit_limit: 40000, won: 0}});
        look(S.applyEvent(S.initialState(null), arg.open));
        return {seen, won: S.applyEvent(s, arg.soldToMe).me.won};
    """,
        {
            "open": OPEN,
            "mine": MINE,
            "other": OTHER,
            "soldToMe": sold_to_me,
            "soldOther": sold_other,
        },
    )
    seen = out["seen"]
    assert seen[0][:2] == ["Waiting for the first lot", False]
    assert seen[1][:2] == ["Bidding is open — no bids yet", True]
    assert seen[2] == ["You are winning", False, "You are the highest bidder"]
    assert seen[3][:2] == ["Outbid", True]
    assert seen[4][:2] == ["Fair warning — you are outbid", True]
    assert seen[5][:2] == ["Fair warning — you are winning", False]
    assert seen[6][:2] == ["Fair warning — you are outbid", True]
    assert seen[7][:2] == ["Sold to you for €500", False]
    assert seen[8][:2] == ["Sold for €550", False]
    assert seen[9][:2] == ["Passed", False]
    assert seen[10][:2] == ["Withdrawn", False]
    assert seen[11] == ["Paused: Coffee break", False, "The sale is paused"]
    assert seen[12] == [
        "Bidding is open — no bids yet",
        False,
        "Your registration is waiting for approval",
    ]
    assert seen[13][1] is False
    assert seen[13][2].startswith("Over your credit limit")
    assert seen[14][1] is False  # no token: watching only
    assert out["won"] == 50000


def test_fair_warning_without_my_bid(js: Any) -> None:
    out = run(
        js,
        """
        let s = S.applyEvent(S.initialState({paddle: '9', status: 'approved'}), arg);
        return S.bidderStatus(s).text;
    """,
        event(3, "fair_warning", lot(status="fair_warning", high=high(50000, "101", "floor"))),
    )
    assert out == "Fair warning"


def test_snapshot_resync(js: Any) -> None:
    snap = snapshot(
        20,
        lot(
            "3",
            order=3,
            title="Dutch school",
            changed_seq=19,
            ask=210000,
            high=high(200000, None, "floor"),
        ),
    )
    out = run(
        js,
        """
        let s = S.initialState({paddle: '7001'});
        s = S.applyEvent(s, arg.open);
        const before = s;
        s = S.applySnapshot(s, arg.snap);                 // newer: replaces the lot
        const lotAfter = s.lot.id;
        const stale = S.applyEvent(s, {...arg.open, seq: 19});  // covered by the snapshot
        const older = S.applySnapshot(s, {...arg.snap, seq: 5, lot: arg.open.lot});
        const fresh = S.applySnapshot(S.initialState(), {...arg.snap, epoch: undefined});
        const next = S.applyEvent(s, {...arg.open, seq: 21, lot: {...arg.snap.lot, ask: 220000}});
        return {lotBefore: before.lot.id, lotAfter, seq: s.seq, stale: stale === s,
                older: older.lot.id, snapshot: s.snapshot, freshSeq: fresh.seq,
                nextAsk: next.lot.ask, lots: s.lots.length};
    """,
        {"open": OPEN, "snap": snap},
    )
    assert out == {
        "lotBefore": "1",
        "lotAfter": "3",
        "seq": 20,
        "stale": True,
        "older": "3",
        "snapshot": True,
        "freshSeq": 20,
        "nextAsk": 220000,
        "lots": 7,
    }


def test_bid_answers_in_words(js: Any) -> None:
    outbid_state = lot(high=high(130000, "101", "floor"), ask=140000, changed_seq=9)
    out = run(
        js,
        """
        let s = S.applyEvent(S.initialState({paddle: '7001', status: 'approved'}), arg.open);
        const o = S.applyBidAnswer(s, 409, {ok: false, reason: 'outbid', state: arg.st}, {lot: '1', amount: 55000});
        const late = S.applyBidAnswer(s, 409, {reason: 'too_late'}, {lot: '1', amount: 55000});
        const limit = S.applyBidAnswer(s, 409, {reason: 'over_limit'}, {lot: '1', amount: 55000});
        const ok = S.applyBidAnswer(s, 200, {ok: true, seq: 3}, {lot: '1', amount: 50000});
        const pend = S.applyBidAnswer(s, 202, {ok: true, pending: true}, {lot: '1', amount: 50000});
        const rl = S.applyBidAnswer(s, 429, {reason: 'rate_limited'}, {lot: '1', amount: 50000});
        return {outbid: S.bidderStatus(o).notice, ask: o.lot.ask, seq: o.seq,
                late: S.bidderStatus(late).notice, limit: S.bidderStatus(limit).notice,
                ok: S.bidderStatus(ok).notice, mine: ok.mine['1'],
                pending: S.bidderStatus(pend).text, pendingCan: S.bidderStatus(pend).canBid,
                rl: S.bidderStatus(rl).notice};
    """,
        {"open": OPEN, "st": outbid_state},
    )
    assert out["outbid"] == "Outbid — another bidder was first at €1,300"
    assert out["ask"] == 140000
    assert out["seq"] == 2  # an answer never moves the event cursor
    assert out["late"] == "Too late — the hammer had already fallen"
    assert out["limit"] == "This bid would go over your credit limit"
    assert out["ok"] == ""
    assert out["mine"] is True
    assert out["pending"] == "Your bid of €500 is waiting for the clerk"
    assert out["pendingCan"] is False
    assert out["rl"].startswith("Too many bids")


def test_money_and_rates(js: Any) -> None:
    out = run(
        js,
        """
        return {eur: S.formatMoney(130000, 'EUR'), cents: S.formatMoney(130050, 'EUR'),
                jpy: S.formatMoney(1300, 'JPY'), gbp: S.formatMoney(99, 'GBP'), bad: S.formatMoney(null),
                conv: S.convert(100000, 'EUR', {base: 'EUR', rates: {USD: 1.08, JPY: 162.3, EUR: 1}}),
                fromUsd: S.convert(108000, 'USD', {base: 'EUR', rates: {USD: 1.08, GBP: 0.85}}),
                label: [S.bidderLabel({channel: 'online', paddle: '7001'}), S.bidderLabel({channel: 'floor', paddle: null}),
                        S.bidderLabel({channel: 'floor', paddle: '101'})],
                parsed: [U.parseAmount('1,300'), U.parseAmount('1300.5'), U.parseAmount('abc'), U.parseAmount('1300', 0)]};
    """,
    )
    assert out["eur"] == "€1,300"
    assert out["cents"] == "€1,300.50"
    assert out["jpy"] == "¥1,300"
    assert out["gbp"] == "£0.99"
    assert out["bad"] == "—"
    assert out["conv"] == [{"currency": "USD", "value": 1080}, {"currency": "JPY", "value": 162300}]
    assert [c["currency"] for c in out["fromUsd"]] == ["EUR", "GBP"]
    assert abs(out["fromUsd"][0]["value"] - 1000) < 1e-6
    assert out["label"] == ["Online", "Room", "Paddle 101"]
    assert out["parsed"] == [130000, 130050, None, 1300]


def test_hostile_strings_stay_text(js: Any) -> None:
    out = run(
        js,
        """
        let s = S.applyEvent(S.initialState(), {...arg.open, lot: {...arg.open.lot, title: arg.bad, description: arg.bad}});
        const li = U.h('li', {title: s.lot.title}, s.lot.title, U.h('span', {}, s.lot.description));
        document.body.append(li);
        const p = document.createElement('p');
        U.setText(p, s.lot.title);
        document.body.append(p);
        return {title: s.lot.title, text: li.textContent, elements: li.querySelectorAll('*').length,
                p: p.textContent, imgs: document.images.length, pwned: window.__pwned ?? null};
    """,
        {"open": OPEN, "bad": HOSTILE},
    )
    assert out["title"] == HOSTILE
    assert out["text"] == HOSTILE + HOSTILE
    assert out["elements"] == 1  # only the <span> we made
    assert out["p"] == HOSTILE
    assert out["imgs"] == 0
    assert out["pwned"] is None


def test_keys_and_topics(js: Any) -> None:
    out = run(
        js,
        """
        const k = U.newKey();
        return {key: /^[0-9a-f-]{36}$/.test(k), distinct: U.newKey() !== k,
                topics: U.topicsOf({topics: {room: 'a', mine: 'b'}}, ['x']),
                fallback: U.topicsOf({}, ['x'])};
    """,
    )
    assert out == {"key": True, "distinct": True, "topics": ["a", "b"], "fallback": ["x"]}
