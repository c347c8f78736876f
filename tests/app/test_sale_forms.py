"""The sale-day forms as plain functions: every form with malformed, oversized, hostile and
duplicated input gives a clear message and no command."""

from __future__ import annotations

import pytest

from app.ui.sale_forms import (
    FormError,
    LotForm,
    RulesForm,
    SaleForm,
    SessionRow,
    amendment,
    by_operator,
    changed_settings,
    check_sale_id,
    end_session_command,
    format_premium,
    message_command,
    new_lot,
    next_call,
    parse_premium,
    parse_rules,
    phone_command,
    reoffer_command,
    rules_text,
    sale_spec,
    status_text,
    subject_to_lots,
)

HOSTILE = "<b>x</b><script>alert(1)</script>"
BIDDERS = [{"paddle": "101"}, {"paddle": "7001"}]
ORDER = ["1", "2", "3", "4", "5"]


def _form(**kw: object) -> SaleForm:
    base = SaleForm(id="autumn-2026", title="Autumn sale", house="Harcourt & Co")
    for k, v in kw.items():
        setattr(base, k, v)
    return base


def _messages(exc: pytest.ExceptionInfo[FormError]) -> str:
    return "\n".join(exc.value.messages)


# ---------------------------------------------------------------------- new sale


def test_a_sound_sale_spec() -> None:
    form = _form(
        sessions=[
            SessionRow("Day 1", "2026-12-05 10:00", "1", "250"),
            SessionRow("Day 2", "2026-12-06T10:00", "251", "480"),
            SessionRow(),  # a blank row is ignored
        ],
        rules=RulesForm(buyer_premium="0: 25%\n500,000: 20%\n3000000: 14.5", vat_rate="20"),
    )
    spec = sale_spec(form, existing=["demo"])
    assert spec["id"] == "autumn-2026"
    assert spec["sessions"][1] == {
        "name": "Day 2",
        "starts": "2026-12-06T10:00",
        "from_lot": "251",
        "to_lot": "480",
    }
    settings = spec["settings"]
    assert settings["buyer_premium"] == [[0, 2500], [50_000_000, 2000], [300_000_000, 1450]]
    assert settings["vat_rate_bp"] == 2000
    assert settings["currency"] == "EUR"
    assert settings["subject_to_window"] == 48 * 3600


@pytest.mark.parametrize(
    "sale_id",
    ["", "-x", "a b", "../etc", "x" * 65, "naïve", "a/b", HOSTILE, "a\x00b", "_lead"],
)
def test_bad_sale_ids_are_refused_with_the_rule(sale_id: str) -> None:
    with pytest.raises(FormError) as exc:
        sale_spec(_form(id=sale_id))
    assert "Sale id: 1 to 64 letters" in _messages(exc)


def test_a_duplicate_sale_id_is_refused_whatever_its_case() -> None:
    assert check_sale_id("demo", ["demo"]) == "Sale id: a sale 'demo' already exists"
    with pytest.raises(FormError, match="already exists"):
        sale_spec(_form(id="DEMO"), existing=["demo"])


def test_every_problem_of_a_sale_form_at_once() -> None:
    form = _form(
        title="",
        house="x\x07y",
        currency="euro",
        timezone="Mars/Olympus",
        sessions=[
            SessionRow("Day 1", "tomorrow", "1", "10"),
            SessionRow("day 1", "2026-12-05 10:00", "11", "20"),
        ],
        rules=RulesForm(late_window="-1", buyer_premium="100: 25%", vat_rate="120"),
    )
    with pytest.raises(FormError) as exc:
        sale_spec(form)
    text = _messages(exc)
    for expected in (
        "Title: required",
        "House: control characters",
        "Currency: a three-letter",
        "Timezone: not a known time zone",
        "Session 1 start: not a date and time",
        "Session 2: the name 'day 1' is used twice",
        "Late-bid window (s): between 0 and 60",
        "Buyer's premium: the first band starts at 0",
        "VAT rate: a rate is at most 100 %",
    ):
        assert expected in text


def test_sessions_must_go_forward_and_stay_few() -> None:
    rows = [SessionRow("A", "2026-12-06 10:00"), SessionRow("B", "2026-12-05 10:00")]
    with pytest.raises(FormError, match="Session 2: starts before"):
        sale_spec(_form(sessions=rows))
    many = [SessionRow(f"S{i}", f"2026-12-{i + 1:02d} 10:00") for i in range(21)]
    with pytest.raises(FormError, match="Sessions: at most 20"):
        sale_spec(_form(sessions=many))


def test_oversized_and_hostile_titles() -> None:
    with pytest.raises(FormError, match="Title: at most 200"):
        sale_spec(_form(title="x" * 201))
    with pytest.raises(FormError, match="line breaks"):
        sale_spec(_form(title="two\nlines"))
    spec = sale_spec(_form(title=HOSTILE))  # markup is just text: labels never render it
    assert spec["title"] == HOSTILE


# ---------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 25%", "write it as 'FROM: RATE%'"),
        ("0: 25%\n0: 20%", "the bands must go up"),
        ("0: abc", "not a percentage"),
        ("0: 25.555%", "not a percentage"),
        ("zero: 25%", "not an amount"),
        ("-5: 25%", "negative amount"),
        ("\n".join(f"{i * 100}: 10%" for i in range(11)), "at most 10 bands"),
    ],
)
def test_bad_premium_bands(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_premium(text, "EUR")


def test_premium_round_trips_through_its_text() -> None:
    bands = [[0, 2500], [50_000_000, 2000], [300_000_000, 1450]]
    assert parse_premium(format_premium(bands, "EUR"), "EUR") == bands
    assert parse_premium("", "EUR") == []
    assert parse_premium("0: 10%\n1000: 5%", "JPY") == [[0, 1000], [1000, 500]]


def test_rules_from_settings_and_back_change_nothing() -> None:
    settings = {
        "currency": "GBP",
        "tie_policy": "floor_priority",
        "late_window": 2.5,
        "reopen_window": 90.0,
        "subject_to": True,
        "subject_to_window": 86400,
        "confirm_online": True,
        "auto_absentee": False,
        "buyer_premium": [[0, 2500], [10_000_000, 2000]],
        "vat_rate_bp": 2000,
    }
    new = parse_rules(RulesForm.from_settings(settings), "GBP")
    assert changed_settings(new, settings) == {}
    form = RulesForm.from_settings(settings)
    form.tie_policy = "first_received"
    assert changed_settings(parse_rules(form, "GBP"), settings) == {"tie_policy": "first_received"}


def test_a_forged_tie_policy_is_refused() -> None:
    with pytest.raises(FormError, match="Ties: one of"):
        parse_rules(RulesForm(tie_policy=HOSTILE), "EUR")


def test_rules_as_bidders_read_them() -> None:
    lines = rules_text(
        {
            "tie_policy": "first_received",
            "late_window": 3,
            "subject_to": True,
            "subject_to_window": 172800,
            "buyer_premium": [[0, 2500], [50_000_000, 2000]],
            "vat_rate_bp": 2000,
        },
        "EUR",
    )
    text = "\n".join(lines)
    assert "Ties: First bid received wins." in text
    assert "within 48 h" in text
    assert "Buyer's premium: 25 % up to €500,000; 20 % above €500,000" in text
    assert "VAT: 20 % where it applies." in text


def test_status_text() -> None:
    assert status_text({"status": "draft"}) == ("DRAFT", "draft")
    assert status_text({}) == ("LIVE", "live")  # old journals: live
    assert status_text({"status": "closed"}) == ("CLOSED", "closed")
    day = {"status": "live", "session": 0, "sessions": [{"name": "Day 1"}], "break": None}
    assert status_text(day) == ("LIVE · Day 1", "live")
    pause = {"status": "live", "break": {"message": "x", "next_start": "2026-12-06T10:00"}}
    assert status_text(pause) == ("SESSION BREAK · next 2026-12-06 10:00", "break")


# ---------------------------------------------------------------------- lots

LOT = {
    "id": "7",
    "title": "A chair",
    "description": "",
    "estimate": {"low": 10000, "high": 20000},
    "start": 0,
    "reserve": 8000,
    "status": "pending",
}


def test_a_draft_edit_sends_only_what_changed() -> None:
    form = LotForm.from_lot(LOT, "EUR")
    form.title = "A Georgian chair"
    form.reserve = "90"
    assert amendment(LOT, form, "EUR", live=False) == {
        "op": "edit_lot",
        "lot": "7",
        "changes": {"title": "A Georgian chair", "reserve": 9000},
    }


def test_an_unchanged_form_sends_nothing() -> None:
    with pytest.raises(FormError, match="Nothing changed"):
        amendment(LOT, LotForm.from_lot(LOT, "EUR"), "EUR", live=False)


def test_a_live_amendment_needs_a_reason_and_a_notice() -> None:
    form = LotForm.from_lot(LOT, "EUR")
    form.condition = "Rear leg restored"
    with pytest.raises(FormError) as exc:
        amendment(LOT, form, "EUR", live=True, reason="  ", notice="")
    assert "Reason: required" in _messages(exc)
    assert "Saleroom notice: required" in _messages(exc)
    cmd = amendment(LOT, form, "EUR", live=True, reason="restorer's report", notice="Leg restored")
    assert cmd["reason"] == "restorer's report"
    assert cmd["notice"] == "Leg restored"
    assert cmd["changes"] == {"condition": "Rear leg restored"}


def test_bad_lot_fields_are_all_reported() -> None:
    form = LotForm.from_lot(LOT, "EUR")
    form.id = "8"
    form.low, form.high = "500", "100"
    form.quantity = "0"
    form.vat = HOSTILE
    form.category = "c" * 101
    form.condition = "bell\x07"
    form.reserve = "ten"
    with pytest.raises(FormError) as exc:
        amendment(LOT, form, "EUR", live=False)
    text = _messages(exc)
    for expected in (
        "Lot number: cannot be changed",
        "Estimate: the low estimate is above",
        "Quantity: a whole number from 1",
        "VAT: one of margin",
        "Category: at most 100",
        "Condition: control characters",
        "Reserve: not an amount",
    ):
        assert expected in text


def test_a_new_lot() -> None:
    form = LotForm(id="12A", title="Late entry", low="100", high="200", quantity="2")
    with pytest.raises(FormError, match="lot 12A already exists"):
        new_lot(form, ["12A"], "EUR", live=False)
    with pytest.raises(FormError, match="Reason: required"):
        new_lot(form, ["1"], "EUR", live=True)
    cmd = new_lot(form, ["1"], "EUR", live=True, reason="late consignment")
    assert cmd["op"] == "add_lot"
    assert cmd["reason"] == "late consignment"
    assert cmd["lot"]["id"] == "12A"
    assert cmd["lot"]["low"] == 10000
    assert cmd["lot"]["quantity"] == 2
    assert "reserve" not in cmd["lot"]
    with pytest.raises(FormError, match="Lot number: required"):
        new_lot(LotForm(title="x"), [], "EUR", live=False)


def test_only_a_passed_lot_is_reoffered() -> None:
    with pytest.raises(FormError, match="not passed"):
        reoffer_command({"id": "3", "status": "sold"})
    with pytest.raises(FormError, match="Choose a passed lot"):
        reoffer_command(None)
    with pytest.raises(FormError, match="Reason: at most"):
        reoffer_command({"id": "3", "status": "passed"}, "r" * 501)
    assert reoffer_command({"id": "3", "status": "passed"}, "again") == {
        "op": "reoffer",
        "lot": "3",
        "reason": "again",
    }


def test_subject_to_lots_in_order() -> None:
    lots = [
        {"id": "2", "order": 2, "status": "sold", "hammer": {"subject_to": True}},
        {"id": "1", "order": 1, "status": "sold", "hammer": {"subject_to": True}},
        {"id": "3", "order": 3, "status": "sold", "hammer": {"subject_to": False}},
        {"id": "4", "order": 4, "status": "passed", "hammer": None},
    ]
    assert [lot["id"] for lot in subject_to_lots(lots)] == ["1", "2"]


# ---------------------------------------------------------------------- messages, sessions


def test_messages() -> None:
    assert message_command(" Lot 5 is withdrawn ") == {
        "op": "message",
        "text": "Lot 5 is withdrawn",
    }
    assert message_command("hello", "101", BIDDERS)["paddle"] == "101"
    with pytest.raises(FormError, match="Message: required"):
        message_command("   ")
    with pytest.raises(FormError, match="at most 500"):
        message_command("x" * 501)
    with pytest.raises(FormError, match="control characters"):
        message_command("ring\x07")
    with pytest.raises(FormError, match="999 is not registered"):
        message_command("hi", "999", BIDDERS)
    with pytest.raises(FormError, match="a paddle number"):
        message_command("hi", HOSTILE, BIDDERS)


def test_end_session() -> None:
    assert end_session_command("See you tomorrow", "2026-12-06 10:00") == {
        "op": "end_session",
        "message": "See you tomorrow",
        "next_start": "2026-12-06T10:00",
    }
    assert end_session_command("", "") == {"op": "end_session"}
    with pytest.raises(FormError, match="Next session: not a date"):
        end_session_command("x", "2026-13-45 99:99")


# ---------------------------------------------------------------------- phones


def _book(paddle: str = "101", first: str = "2", last: str = "4", op: str = "Anna", **kw: object):
    return phone_command(paddle, first, last, op, order=ORDER, bidders=BIDDERS, **kw)  # type: ignore[arg-type]


def test_a_phone_booking() -> None:
    assert _book() == {
        "op": "book_phone",
        "paddle": "101",
        "from_lot": "2",
        "to_lot": "4",
        "operator": "Anna",
    }
    assert _book(last="")["to_lot"] == "2"  # one lot


def test_bad_phone_bookings() -> None:
    with pytest.raises(FormError) as exc:
        phone_command(HOSTILE, "99", "1", "", order=ORDER, bidders=BIDDERS)
    text = _messages(exc)
    for expected in ("Paddle: a paddle number", "From lot: no lot '99'", "Operator: required"):
        assert expected in text
    with pytest.raises(FormError, match="'from' comes after 'to'"):
        _book(first="4", last="2")
    with pytest.raises(FormError, match="Operator: at most 64"):
        _book(op="o" * 65)
    with pytest.raises(FormError, match="555 is not registered"):
        _book(paddle="555")


def test_an_overlapping_booking_for_the_same_paddle_is_refused() -> None:
    booked = [{"id": "p1", "paddle": "101", "from_lot": "4", "to_lot": "5", "operator": "Bo"}]
    with pytest.raises(FormError, match="already booked on lots 4–5 \\(Bo\\)"):
        _book(booked=booked)
    assert _book(last="3", booked=booked)["to_lot"] == "3"  # no overlap
    assert _book(paddle="7001", booked=booked)["paddle"] == "7001"  # another paddle


def test_bookings_per_operator() -> None:
    phones = [
        {"id": "1", "operator": "bo"},
        {"id": "2", "operator": "Anna"},
        {"id": "3", "operator": "bo"},
    ]
    grouped = by_operator(phones)
    assert [op for op, _ in grouped] == ["Anna", "bo"]
    assert [b["id"] for b in grouped[1][1]] == ["1", "3"]


def test_the_operator_is_told_how_far_away_the_bidder_is() -> None:
    span = ["4", "5"]
    assert next_call(ORDER, "1", {"4", "5"}, span) == "4 · 3 lots away"
    assert next_call(ORDER, "3", {"4", "5"}, span) == "4 · 1 lot away"
    assert next_call(ORDER, "4", {"5"}, span) == "4 · on the block"
    assert next_call(ORDER, None, {"5"}, span) == "5"
    assert next_call(ORDER, "5", set(), ["1", "2"]) == "done"
