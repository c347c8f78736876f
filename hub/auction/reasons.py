"""Machine-readable reasons a command is refused. Clients switch on these strings."""

INVALID = "invalid"  # malformed command: a field missing, of the wrong type or out of range
UNKNOWN_OP = "unknown_op"
FORBIDDEN = "forbidden"  # the actor's role may not issue this command
NO_SALE = "no_sale"

UNKNOWN_LOT = "unknown_lot"
DUPLICATE_LOT = "duplicate_lot"
UNKNOWN_BIDDER = "unknown_bidder"
DUPLICATE_BIDDER = "duplicate_bidder"

# Bids
OUTBID = "outbid"  # the ask moved on after the state the bidder saw
BELOW_ASK = "below_ask"  # the bidder saw the current state and bid under the ask
ALREADY_BID = "already_bid"  # someone was sequenced first at that amount
ALREADY_HIGH = "already_high"  # the bidder is already the highest bidder
TOO_LATE = "too_late"  # arrived within the late window after the hammer: a late bid
LOT_CLOSED = "lot_closed"  # not open (pending, sold, passed, withdrawn)
NOT_APPROVED = "not_approved"
OVER_LIMIT = "over_limit"
PAUSED = "paused"
ABOVE_RESERVE = "above_reserve"  # a house bid at or above the reserve
RATE_LIMITED = "rate_limited"  # the gateway's per-bidder limit (never the engine's)

# Lot and clerk actions
LOT_OPEN = "lot_open"  # another lot is still on the block
LOT_NOT_PENDING = "lot_not_pending"
LOT_NOT_OPEN = "lot_not_open"
LOT_NOT_CLOSED = "lot_not_closed"
REOPEN_TOO_LATE = "reopen_too_late"
NO_BID = "no_bid"
HAS_HIGH = "has_high"
BELOW_HIGH = "below_high"
BELOW_START = "below_start"
NO_PENDING = "no_pending"
NO_LATE_BID = "no_late_bid"
NO_BOOK = "no_book"
ABOVE_MAX = "above_max"  # a hand-executed commission bid above the book's maximum
DUPLICATE_BOOK = "duplicate_book"
TIE_POLICY = "tie_policy"
NO_ONLINE_HIGH = "no_online_high"
NOT_PAUSED = "not_paused"

# The sale's life and its catalogue
SALE_NOT_LIVE = "sale_not_live"  # a draft: the catalogue is being built, nothing runs yet
SALE_CLOSED = "sale_closed"  # closed: only the vendor's subject-to answers remain
CATALOGUE_FROZEN = "catalogue_frozen"  # a live change to the catalogue without a reason
NOT_PASSED = "not_passed"  # only a passed lot may be re-offered
NOT_SUBJECT_TO = "not_subject_to"  # the lot was not sold subject to the vendor's answer
NO_BOOKING = "no_booking"  # no phone booking with that id

# Money after the hammer (issue 12)
NOTHING_TO_INVOICE = "nothing_to_invoice"  # the buyer has no sold lot that is not invoiced
INVOICED = "invoiced"  # the lot is on a live invoice: issue a credit note first
NOT_INVOICED = "not_invoiced"  # the lot is on no live invoice (of that buyer)
UNKNOWN_INVOICE = "unknown_invoice"  # no invoice with that number in this sale
NOT_SOLD = "not_sold"  # only a sold lot's sale may be cancelled or reknocked
THIRD_PARTY = "third_party"  # someone else pays for the buyer: a staff reason is required
UNPAID = "unpaid"  # the buyer still owes: lots are released only with an override reason
TOO_MUCH = "too_much"  # a refund above what the buyer has paid (or a payment above what is owed)
UNKNOWN_CONSIGNOR = "unknown_consignor"  # no lot and no terms name that consignor
ALREADY_RELEASED = "already_released"  # the lot has been released for collection already

# People and the law (issue 13)
ON_HOLD = "on_hold"  # the bidder is on hold for the reporting officer: no bids
NOT_ON_HOLD = "not_on_hold"  # a hold review for a bidder who is not held
CDD_REQUIRED = "cdd_required"  # the bid would cross the AML threshold without complete CDD
CDD_INCOMPLETE = "cdd_incomplete"  # invoicing/release of a buyer over the threshold, no CDD
ERASED = "erased"  # the identity behind the paddle was erased already

# The journal could not make the decision durable (disk full, I/O error): nothing happened.
JOURNAL_UNAVAILABLE = "journal_unavailable"
