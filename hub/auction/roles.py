"""Who is who: every role, declared once (issue 13).

Staff roles say what a person does in the house; a person holds one or more of them (an
`Actor`'s `roles`). The command declarations in `parse.py` name, for each op, which of these
roles may send it; `commands.allowed` checks an actor against that, and docs/ROLES.md shows
the whole matrix (checked against the registry by `tests/auction/test_roles.py`).

- auctioneer: the live loop (open, fair warning, hammer, pass, reopen, leave sold, withdraw,
  ask and increment, pause, sessions, go live, close, reoffer, subject-to, house bids) and the
  clerk's ops. Until a house has staff accounts the auctioneer is the whole house, so this role
  also keeps every staff op it had before issue 13 (desk, cashier and admin ops); the new
  compliance ops (CDD, holds, erasure, suspicion) are not among them.
- clerk: floor and phone bids, accept / reject / set-to-floor of online bids, retract,
  reinstate, messages.
- desk: registration, approval, credit limits, staff-entered books, phone bookings, CDD steps.
- cashier: payments, refunds, releases, payouts (invoices are issued through the backend).
- admin: sale rules, catalogue, consignor terms, corrections after the hammer, staff accounts.
- officer: the money-laundering reporting officer: screening holds, suspicious activity.

Non-staff: bidder (their own paddle), consignor (their own lots, read only), system (setup,
the backend's own commands, replays: may send anything). Pure data, stdlib only.
"""

from __future__ import annotations

AUCTIONEER = "auctioneer"
CLERK = "clerk"
DESK = "desk"
CASHIER = "cashier"
ADMIN = "admin"
OFFICER = "officer"
BIDDER = "bidder"
CONSIGNOR = "consignor"
SYSTEM = "system"

# Every staff role, in the order screens list them.
STAFF_ROLES: tuple[str, ...] = (AUCTIONEER, CLERK, DESK, CASHIER, ADMIN, OFFICER)
# What the desktop acts with while the house has no staff accounts (the owner is everyone).
ALL_STAFF_ROLES: tuple[str, ...] = STAFF_ROLES
NON_STAFF_ROLES: tuple[str, ...] = (BIDDER, CONSIGNOR, SYSTEM)
# Every role there is: the role matrix's columns.
ROLES: tuple[str, ...] = STAFF_ROLES + NON_STAFF_ROLES

LABELS: dict[str, str] = {
    AUCTIONEER: "Auctioneer",
    CLERK: "Clerk",
    DESK: "Desk",
    CASHIER: "Cashier",
    ADMIN: "Administrator",
    OFFICER: "Reporting officer",
    BIDDER: "Bidder",
    CONSIGNOR: "Consignor",
    SYSTEM: "System",
}


def is_staff(role: str) -> bool:
    return role in STAFF_ROLES


def check_roles(roles: object) -> tuple[str, ...]:
    """A person's staff roles from untrusted input: known, distinct, in the registry's order.

    Raises ValueError with a message a user can act on.
    """
    if not isinstance(roles, list | tuple) or not roles:
        raise ValueError(f"roles: a list of one or more of {', '.join(STAFF_ROLES)}")
    unknown = [r for r in roles if not isinstance(r, str) or r not in STAFF_ROLES]
    if unknown:
        raise ValueError(f"roles: each is one of {', '.join(STAFF_ROLES)}")
    return tuple(r for r in STAFF_ROLES if r in roles)
