// The one state container the three pages share: events in, state out.
//
// Pure: no DOM, no network, no clock. `applySnapshot` and `applyEvent` never mutate their
// input; they return the same object when nothing changes, so an event applied twice, or
// one that arrives late, changes nothing. Order is (epoch, seq), never a timestamp.
// Words go through t() (./i18n.js) when a page asks for them, never stored in the state.

import { locale as pageLocale, N_, t } from './i18n.js';

export const LIVE = ['open', 'fair_warning'];
const MAX_REFUSALS = 30;
const MAX_MESSAGES = 20;
// Events about a lot that is not on the block (books, amendments, the catalogue).
const ASIDE = [
  'absentee_registered', 'absentee_cancelled', 'lot_amended', 'lot_edited', 'lot_added',
  'lot_reoffered', 'subject_to_resolved',
];

export function initialState(me = null) {
  return {
    seq: null, // (epoch, seq) of the last applied event or snapshot
    epoch: null,
    snapshot: false, // has a snapshot ever been applied?
    sale: null, // {id, title, currency, paused, message, current, ...}
    lot: null, // the lot on the block (or the last one closed): public or staff view
    lots: [], // summaries in catalogue order: {id, order, title, status, estimate, images, hammer}
    me: me ? { status: 'unknown', credit_limit: null, won: 0, ...me } : null, // a bidder's own record
    mine: {}, // lot id -> true: lots this bidder has bid on
    pending: null, // this bidder's online bid waiting for the clerk: {id, lot, amount}
    notice: null, // the last private message for this bidder: {lot, ask, status, kind, text?, reason, amount}
    refusals: [], // staff: refused bid attempts, newest first
    views: {}, // staff: lot id -> latest view of every lot an event touched (late bids live here)
    bidders: {}, // staff: paddle -> {paddle, status, channel, name?, credit_limit?} when known
    skew: 0, // local clock minus stage clock, seconds (for "waited 4 s")
    messages: [], // bidder: messages from the house to everyone or to me, newest first
    flash: null, // the last saleroom notice as it was announced: {seq, lot, text}
    commissions: {}, // bidder: lot id -> my commission (absentee) bid's maximum
    phones: [], // staff: phone bookings {id, paddle, from_lot, to_lot, operator}
  };
}

/** True if (epoch, seq) is after what `state` has already applied. */
export function isNewer(state, epoch, seq) {
  if (typeof seq !== 'number') return false;
  if (state.seq === null) return true;
  if (typeof epoch === 'number' && typeof state.epoch === 'number' && epoch !== state.epoch) {
    return epoch > state.epoch;
  }
  return seq > state.seq;
}

function summaryOf(lot) {
  const out = {
    id: lot.id, order: lot.order, title: lot.title, status: lot.status,
    estimate: lot.estimate || { low: null, high: null }, images: (lot.images || []).slice(0, 1),
    hammer: lot.hammer && typeof lot.hammer === 'object' ? lot.hammer.amount ?? null : lot.hammer ?? null,
  };
  // Only when the view carries them: a summary never forgets a notice it was told.
  if (Array.isArray(lot.notices)) out.notices = lot.notices;
  if (typeof lot.start === 'number') out.start = lot.start;
  return out;
}

function upsertSummary(lots, lot) {
  if (!lot || lot.id == null) return lots;
  const next = summaryOf(lot);
  const i = lots.findIndex((l) => l.id === lot.id);
  const out = lots.slice();
  if (i >= 0) out[i] = { ...lots[i], ...next, order: next.order ?? lots[i].order };
  else out.push(next);
  out.sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  return out;
}

/** Replace everything a snapshot covers, if it is newer than what we have. */
export function applySnapshot(state, snap) {
  if (!snap || typeof snap !== 'object') return state;
  const epoch = typeof snap.epoch === 'number' ? snap.epoch : state.epoch;
  const newer = state.seq === null || isNewer(state, epoch, snap.seq) || snap.seq === state.seq;
  const me = mergeMe(state.me, snap.bidder || snap.me);
  if (!newer) {
    // Older than our events: keep the lot, but fill what we have never had.
    if (state.snapshot && me === state.me) return state;
    return {
      ...state,
      snapshot: true,
      me,
      sale: state.sale || snap.sale || null,
      lots: state.lots.length ? state.lots : (snap.lots || []).map(summaryOf),
    };
  }
  let lots = Array.isArray(snap.lots) ? snap.lots.map(summaryOf) : state.lots;
  if (snap.lot) lots = upsertSummary(lots, snap.lot);
  const views = { ...state.views };
  if (snap.lot) views[snap.lot.id] = snap.lot;
  let pending = state.pending;
  if (pending && snap.lot && pending.lot === snap.lot.id && !LIVE.includes(snap.lot.status)) {
    pending = null;
  }
  return {
    ...state,
    seq: snap.seq,
    epoch: epoch ?? null,
    snapshot: true,
    sale: snap.sale || state.sale,
    lot: snap.lot || null,
    lots,
    views,
    me,
    pending,
    bidders: snap.bidders ? bidderMap(snap.bidders) : state.bidders,
    phones: Array.isArray(snap.phones) ? snap.phones.filter(isBooking) : state.phones,
  };
}

function isBooking(b) {
  return !!b && typeof b === 'object' && b.id != null && b.paddle != null;
}

function bidderMap(list) {
  const out = {};
  for (const b of Array.isArray(list) ? list : Object.values(list)) {
    if (b && b.paddle != null) out[String(b.paddle)] = b;
  }
  return out;
}

function mergeMe(me, record) {
  if (!me || !record || typeof record !== 'object') return me;
  if (record.paddle != null && String(record.paddle) !== String(me.paddle)) return me;
  const next = { ...me };
  for (const k of ['status', 'credit_limit', 'won', 'name', 'channel']) {
    if (k in record) next[k] = record[k];
  }
  return next;
}

/** Apply a lot state from outside the event stream (a bid or command answer): never goes back. */
export function applyLot(state, lot) {
  if (!lot || typeof lot !== 'object' || lot.id == null) return state;
  const cur = state.lot;
  if (cur && cur.id === lot.id && (lot.changed_seq ?? 0) < (cur.changed_seq ?? 0)) return state;
  if (cur && cur.id !== lot.id) return { ...state, lots: upsertSummary(state.lots, lot) };
  return { ...state, lot: cur ? { ...cur, ...lot } : lot, lots: upsertSummary(state.lots, lot) };
}

function isMine(state, paddle) {
  return !!(state.me && paddle != null && String(paddle) === String(state.me.paddle));
}

/**
 * Apply one wire event: {seq, epoch, type, at, sale, lot, data}. `me` (optional) overrides
 * state.me's paddle for "is this mine" decisions.
 */
export function applyEvent(state, ev, me = null) {
  if (!ev || typeof ev !== 'object' || !isNewer(state, ev.epoch, ev.seq)) return state;
  if (me && !state.me) state = { ...state, me: { status: 'unknown', credit_limit: null, won: 0, ...me } };
  const s = { ...state, seq: ev.seq, epoch: typeof ev.epoch === 'number' ? ev.epoch : state.epoch };
  const data = ev.data || {};
  const lot = ev.lot && typeof ev.lot === 'object' ? ev.lot : null;
  if (typeof ev.at === 'number' && typeof ev.received === 'number') s.skew = ev.received - ev.at;

  // Sale-level events carry the sale view as `sale_state` (`sale` is the sale's id).
  const saleView = [ev.sale_state, ev.sale].find((v) => v && typeof v === 'object') || null;
  if (saleView) s.sale = { ...(s.sale || {}), ...saleView };
  if (ev.type === 'sale_paused') s.sale = { ...(s.sale || {}), paused: true, message: data.message || '' };
  if (ev.type === 'sale_resumed') s.sale = { ...(s.sale || {}), paused: false, message: '' };
  // The sale's life, in case an event comes without the sale view.
  if (!saleView) {
    const life = {
      sale_live: { status: 'live' },
      sale_closed: { status: 'closed' },
      session_ended: { break: { message: data.message || '', next_start: data.next_start ?? null } },
      session_started: { break: null },
    }[ev.type];
    if (life) s.sale = { ...(s.sale || {}), ...life };
  }

  if (lot) {
    s.lots = upsertSummary(s.lots, lot);
    if (lot.pending || lot.late || lot.history) s.views = { ...s.views, [lot.id]: lot };
    const becomesCurrent = ['lot_opened', 'lot_reopened'].includes(ev.type) || LIVE.includes(lot.status);
    // With no lot on the block, a lot's bidding news shows it; catalogue news does not.
    const aside = !s.lot && ASIDE.includes(ev.type);
    if ((!s.lot && !aside) || s.lot?.id === lot.id || becomesCurrent) {
      s.lot = lot;
      if (s.sale && becomesCurrent) s.sale = { ...s.sale, current: lot.id };
    }
    if (s.pending && s.pending.lot === lot.id && !LIVE.includes(lot.status)) s.pending = null;
  }

  switch (ev.type) {
    case 'bid_accepted': {
      const bid = data.bid || {};
      if (isMine(s, bid.paddle)) {
        s.mine = { ...s.mine, [ev.lot?.id ?? bid.lot]: true };
        if (s.pending && (data.pending === s.pending.id || !data.pending)) s.pending = null;
        s.notice = null;
      }
      break;
    }
    case 'set_to_floor': {
      const displaced = data.displaced || {};
      if (isMine(s, displaced.paddle)) {
        s.notice = pin(s, { lot: lot?.id, kind: 'set_to_floor', reason: 'set_to_floor', amount: displaced.amount });
      }
      break;
    }
    case 'bid_retracted': {
      if (isMine(s, (data.bid || {}).paddle)) {
        s.notice = pin(s, { lot: lot?.id, kind: 'retracted', reason: 'retracted', amount: data.bid.amount });
      }
      break;
    }
    case 'bid_refused': {
      const a = data.attempt || {};
      s.refusals = [
        { seq: ev.seq, at: ev.at ?? a.at, lot: lot?.id, paddle: a.paddle ?? null, channel: a.channel,
          amount: a.amount, reason: data.reason },
        ...s.refusals,
      ].slice(0, MAX_REFUSALS);
      if (isMine(s, a.paddle)) {
        s.notice = pin(s, { lot: lot?.id, kind: 'refused', reason: data.reason, amount: a.amount });
        if (lot && ['outbid', 'already_bid', 'below_ask'].includes(data.reason)) s.mine = { ...s.mine, [lot.id]: true };
      }
      break;
    }
    case 'online_bid_pending': {
      const p = data.pending || {};
      if (isMine(s, p.paddle)) s.pending = { id: p.id, lot: lot?.id, amount: p.amount };
      break;
    }
    case 'online_bid_rejected': {
      if (isMine(s, data.paddle)) {
        if (s.pending && s.pending.id === data.pending) {
          s.notice = pin(s, { lot: lot?.id, kind: 'rejected', reason: data.reason, amount: s.pending.amount });
          s.pending = null;
        }
      }
      break;
    }
    case 'late_bid': {
      const l = data.late || {};
      if (isMine(s, l.paddle)) s.notice = pin(s, { lot: lot?.id, kind: 'late', reason: 'too_late', amount: l.amount });
      break;
    }
    case 'lot_sold': {
      const h = data.hammer || {};
      if (isMine(s, h.paddle) && s.me) s.me = { ...s.me, won: (s.me.won || 0) + (h.amount || 0) };
      break;
    }
    case 'lot_reopened': {
      const h = data.hammer || {};
      if (isMine(s, h.paddle) && s.me && h.amount) s.me = { ...s.me, won: (s.me.won || 0) - h.amount };
      break;
    }
    case 'bidder_registered':
    case 'bidder_approved':
    case 'bidder_rejected':
    case 'credit_limit_set': {
      if (data.paddle != null) {
        const p = String(data.paddle);
        const status = { bidder_approved: 'approved', bidder_rejected: 'rejected' }[ev.type] ?? data.status;
        const rec = { ...(s.bidders[p] || { paddle: p }), ...data };
        if (status) rec.status = status;
        s.bidders = { ...s.bidders, [p]: rec };
      }
      if (isMine(s, data.paddle)) {
        const status = { bidder_approved: 'approved', bidder_rejected: 'rejected' }[ev.type] ?? data.status;
        const next = { ...s.me };
        if (status) next.status = status;
        if ('credit_limit' in data) next.credit_limit = data.credit_limit;
        s.me = next;
      }
      break;
    }
    case 'lot_amended': {
      if (typeof data.notice === 'string' && data.notice) s.flash = { seq: ev.seq, lot: lot?.id ?? null, text: data.notice };
      break;
    }
    case 'lot_opened': {
      if (s.flash && s.flash.lot !== lot?.id) s.flash = null;
      break;
    }
    case 'message_sent': {
      const to = data.paddle ?? null;
      if (typeof data.text !== 'string' || (to != null && !isMine(s, to) && s.me)) break;
      // Staff see every message; a bidder sees the public ones and those to their paddle.
      const msg = { id: data.id ?? ev.seq, seq: ev.seq, at: ev.at ?? null, text: data.text, paddle: to };
      s.messages = [msg, ...s.messages.filter((m) => m.id !== msg.id)].slice(0, MAX_MESSAGES);
      break;
    }
    case 'absentee_registered':
    case 'absentee_cancelled': {
      if (isMine(s, data.paddle) && lot) {
        const next = { ...s.commissions };
        if (ev.type === 'absentee_registered') next[lot.id] = data.max;
        else delete next[lot.id];
        s.commissions = next;
      }
      break;
    }
    case 'phone_booked': {
      if (isBooking(data)) s.phones = [...s.phones.filter((b) => b.id !== data.id), { ...data }];
      break;
    }
    case 'phone_cancelled': {
      s.phones = s.phones.filter((b) => b.id !== data.id);
      break;
    }
    default:
      break;
  }
  return s;
}

/** A message the bidder has read and closed. */
export function dismissMessage(state, id) {
  const messages = state.messages.filter((m) => m.id !== id);
  return messages.length === state.messages.length ? state : { ...state, messages };
}

/** The saleroom notice banner closed. */
export function dismissFlash(state) {
  return state.flash ? { ...state, flash: null } : state;
}

/** A bid or command answer (200/202/409) folded into the state: the bidder's notice. */
export function applyBidAnswer(state, httpStatus, body, attempt) {
  body = body || {};
  let s = state;
  const st = body.state;
  if (st && typeof st === 'object') s = applyLot(s, st.lot && typeof st.lot === 'object' ? st.lot : st);
  const lotId = attempt?.lot ?? s.lot?.id;
  if (httpStatus === 200) {
    return { ...s, mine: { ...s.mine, [lotId]: true }, notice: null };
  }
  if (httpStatus === 202) {
    return { ...s, pending: { id: body.pending, lot: lotId, amount: attempt?.amount }, notice: null };
  }
  const reason = body.reason || (httpStatus === 429 ? 'rate_limited' : 'error');
  // Beaten to it: this bidder is in the race for the lot, and now behind.
  const mine = ['outbid', 'already_bid', 'below_ask'].includes(reason) ? { ...s.mine, [lotId]: true } : s.mine;
  let me = s.me;
  if (reason === 'not_approved' && me) me = { ...me, status: me.status === 'rejected' ? 'rejected' : 'pending' };
  return {
    ...s, me, mine,
    notice: pin(s, { lot: lotId, kind: 'refused', reason, amount: attempt?.amount, text: reason === 'error' ? body.detail || body.title : null }),
  };
}

/**
 * A notice belongs to the lot and the ask it was given under: it is pinned to the lot's ask and
 * status then, and shown only while they stay so (a refusal "the ask is now €2,200" must not
 * stand under "Sold for €2,000").
 */
function pin(state, notice) {
  const lot = state.lot && state.lot.id === notice.lot ? state.lot : null;
  return { ...notice, ask: lot ? lot.ask : undefined, status: lot ? lot.status : undefined };
}

const NETWORK = ['network', 'stage_unreachable'];

/** The connection is back: a "could not be sent" notice is no longer true. */
export function clearNetworkNotice(state) {
  const n = state.notice;
  return n && NETWORK.includes(n.reason) ? { ...state, notice: null } : state;
}

// ------------------------------------------------------------------ derived views

export function currencyOf(state) {
  return state.lot?.currency || state.sale?.currency || 'EUR';
}

const fmtCache = new Map();
/**
 * Money from minor units, e.g. 130000 EUR -> "€1,300" (cents shown only when there are any),
 * in the page's language unless `locale` is given ("1.300 €" in German).
 */
export function formatMoney(minor, currency = 'EUR', locale = pageLocale()) {
  if (typeof minor !== 'number' || !Number.isFinite(minor)) return '—';
  const key = `${currency}|${locale}`;
  let f = fmtCache.get(key);
  if (!f) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch { currency = 'EUR'; }
    const scale = 10 ** digits;
    const whole = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
    const exact = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits });
    f = (m) => (m % scale === 0 ? whole.format(m / scale) : exact.format(m / scale));
    fmtCache.set(key, f);
  }
  return f(minor);
}

export function estimateText(lot, currency) {
  const e = lot?.estimate || {};
  if (e.low == null && e.high == null) return '';
  if (e.low != null && e.high != null) return t('Estimate {low}–{high}', { low: formatMoney(e.low, currency), high: formatMoney(e.high, currency) });
  return t('Estimate {amount}', { amount: formatMoney(e.low ?? e.high, currency) });
}

/** Lots still to come, in catalogue order (not the one on the block). */
export function upcoming(state, n = 5) {
  return state.lots.filter((l) => l.status === 'pending' && l.id !== state.lot?.id).slice(0, n);
}

/** The next lot to open, in catalogue order. */
export function nextPendingLot(state) {
  return state.lots.find((l) => l.status === 'pending') || null;
}

/** A bid the auctioneer makes for the vendor, below the reserve: disclosed as the law requires. */
export const HOUSE_BID = N_('House bid (on behalf of the vendor)');
const CHANNELS = { online: N_('Online'), phone: N_('Phone'), absentee: N_('Commission bid') };

/**
 * How the room sees the high bidder: a paddle, or "Online" / "Room" / "Phone"... in words, or
 * as {msgid, params} with `asMessage` (the room display shows it in two languages).
 */
export function bidderLabel(high, asMessage = false) {
  if (!high) return asMessage ? null : '';
  let m = { msgid: high.paddle ? N_('Paddle {paddle}') : N_('Room'), params: { paddle: high.paddle } };
  if (high.house) m = { msgid: HOUSE_BID, params: {} };
  else if (CHANNELS[high.channel]) m = { msgid: CHANNELS[high.channel], params: {} };
  return asMessage ? m : t(m.msgid, m.params);
}

const money = (a, c) => ({ amount: formatMoney(a, c) });
const REASONS = {
  outbid: (a, c, lot) => (lot?.high ? t('Outbid — another bidder was first at {amount}', money(lot.high.amount, c)) : t('Outbid — the price moved on before your bid arrived')),
  already_bid: (a, c) => t('Outbid — another bidder was first at {amount}', money(a, c)),
  below_ask: (a, c, lot) => t('The ask is now {amount}', money(lot?.ask, c)),
  already_high: () => t('You are already the highest bidder'),
  too_late: () => t('Too late — the hammer had already fallen'),
  lot_closed: () => t('Bidding on this lot is closed'),
  not_approved: () => t('Your registration has not been approved yet'),
  over_limit: () => t('This bid would go over your credit limit'),
  paused: () => t('The sale is paused'),
  rate_limited: () => t('Too many bids at once — wait a moment and try again'),
  unknown_lot: () => t('That lot is not in this sale'),
  set_to_floor: (a, c) => t('Your bid of {amount} was given to the room (floor priority)', money(a, c)),
  retracted: (a, c) => t('Your bid of {amount} was withdrawn by the clerk', money(a, c)),
  rejected: (a, c) => t('The clerk did not take your bid of {amount}', money(a, c)),
  lot_not_open: () => t('The lot is not open'),
  network: () => t('Your bid could not be sent — check your connection and try again'),
  stage_unreachable: () => t('The auction room is offline — your bid was NOT placed'),
  checking: (a, c) => t('No answer from the auction room yet — checking whether your bid of {amount} was placed…', money(a, c)),
  unconfirmed: () => t('No answer from the auction room — your bid may not have been placed. If you are not shown as the highest bidder, bid again'),
  journal_unavailable: () => t('The sale is paused for a technical problem — your bid was NOT placed'),
};

/** A refusal reason in words. */
export function reasonText(reason, amount, currency, lot) {
  const f = REASONS[reason];
  return f ? f(amount, currency, lot) : t('Not accepted ({reason})', { reason: String(reason || 'error') });
}

function noticeText(state, c) {
  const n = state.notice;
  const lot = state.lot;
  if (!n || (lot && n.lot != null && n.lot !== lot.id)) return '';
  if (lot && n.ask !== undefined && (n.ask !== lot.ask || n.status !== lot.status)) return '';
  if (n.text) return n.text;
  return reasonText(n.kind === 'refused' || n.kind === 'late' ? n.reason : n.kind, n.amount, c, state.lot);
}

/**
 * The remote bidder's situation in words, and whether (and why not) the Bid button works.
 * tone: 'win' | 'lose' | 'warn' | 'sold' | 'info' | 'closed'
 */
export function bidderStatus(state) {
  const lot = state.lot;
  const me = state.me;
  const c = currencyOf(state);
  const out = { tone: 'info', text: '', canBid: false, reason: '', amount: lot?.ask ?? null, notice: noticeText(state, c) };
  const paused = state.sale?.paused;
  const live = lot && LIVE.includes(lot.status);
  const myHigh = lot?.high && me && String(lot.high.paddle) === String(me.paddle);
  const bidHere = lot && state.mine[lot.id];

  if (!lot) {
    out.text = paused ? pausedText(state) : t('Waiting for the first lot');
    out.reason = t('No lot is open yet');
  } else if (lot.status === 'sold') {
    const toMe = me && lot.hammer && String(lot.hammer.paddle) === String(me.paddle);
    out.tone = toMe ? 'win' : 'sold';
    const amount = { amount: formatMoney(lot.hammer?.amount, c) };
    const known = lot.hammer?.amount != null;
    out.text = toMe ? t('Sold to you for {amount}', amount) : known ? t('Sold for {amount}', amount) : t('Sold');
    out.reason = t('This lot is closed');
    if (lot.hammer?.subject_to) {
      // Below the reserve: the vendor accepts or declines after the sale.
      out.tone = 'warn';
      out.text = toMe ? t("Provisionally sold to you for {amount} — subject to the vendor's acceptance", amount)
        : known ? t("Provisionally sold for {amount} — subject to the vendor's acceptance", amount)
          : t("Provisionally sold — subject to the vendor's acceptance");
    }
  } else if (lot.status === 'passed') {
    out.tone = 'closed'; out.text = t('Passed'); out.reason = t('This lot is closed');
  } else if (lot.status === 'withdrawn') {
    out.tone = 'closed'; out.text = t('Withdrawn'); out.reason = t('This lot was withdrawn');
  } else if (lot.status === 'pending') {
    out.text = t('Lot {id} opens soon', { id: lot.id }); out.reason = t('Bidding has not started');
  } else if (live) {
    const fw = lot.status === 'fair_warning';
    if (myHigh) { out.tone = 'win'; out.text = fw ? t('Fair warning — you are winning') : t('You are winning'); }
    else if (bidHere) { out.tone = 'lose'; out.text = fw ? t('Fair warning — you are outbid') : t('Outbid'); }
    else if (fw) { out.tone = 'warn'; out.text = t('Fair warning'); }
    else { out.text = lot.high ? t('Bidding is open') : t('Bidding is open — no bids yet'); }
    out.canBid = !myHigh;
    if (myHigh) out.reason = t('You are the highest bidder');
  }
  if (paused) {
    out.tone = 'warn'; out.text = pausedText(state); out.canBid = false; out.reason = t('The sale is paused');
  }
  const life = saleLife(state.sale);
  if (life) {
    out.tone = life.tone; out.text = life.text; out.canBid = false; out.reason = life.detail || life.text;
  }
  if (out.canBid && state.pending && state.pending.lot === lot?.id) {
    out.canBid = false; out.reason = t('Your bid is with the clerk');
    out.text = t('Your bid of {amount} is waiting for the clerk', { amount: formatMoney(state.pending.amount, c) });
  }
  if (me) {
    if (me.status === 'pending') {
      out.canBid = false; out.reason = t('Your registration is waiting for approval');
    } else if (me.status === 'rejected') {
      out.canBid = false; out.reason = t('Your registration was not approved');
    } else if (out.canBid && me.credit_limit != null && (me.won || 0) + (lot.ask || 0) > me.credit_limit) {
      out.canBid = false;
      out.reason = t('Over your credit limit ({amount} left)', { amount: formatMoney(Math.max(0, me.credit_limit - (me.won || 0)), c) });
    }
  } else if (out.canBid) {
    out.canBid = false; out.reason = t('Open your personal bidding link to bid');
  }
  return out;
}

function pausedText(state) {
  const m = state.sale?.message;
  return m ? t('Paused: {message}', { message: m }) : t('Paused');
}

const WEEKDAY = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/**
 * A session's start in the sale's timezone, e.g. "Saturday, December 5, 2026 at 10:00 (Europe/London)".
 * A wall-clock time without an offset ("2026-12-05T10:00") is already the sale's local time;
 * one with an offset ("…Z", "…+01:00") is converted. Anything else is shown as it came.
 */
export function sessionStart(text, timezone, locale = pageLocale()) {
  if (typeof text !== 'string' || !text.trim()) return '';
  let tz = typeof timezone === 'string' && timezone ? timezone : 'UTC';
  try { new Intl.DateTimeFormat('en', { timeZone: tz }); } catch { tz = 'UTC'; } // an unknown zone
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (day) {
    const date = new Date(Date.UTC(+day[1], +day[2] - 1, +day[3]));
    const { hour, minute, hourCycle, ...dateOnly } = WEEKDAY;
    if (!Number.isNaN(date.getTime())) return `${new Intl.DateTimeFormat(locale, { ...dateOnly, timeZone: 'UTC' }).format(date)} (${tz})`;
  }
  if (!m) return text.slice(0, 100);
  const [, y, mo, d, hh, mi, ss, , offset] = m;
  let when = new Date(Date.UTC(+y, +mo - 1, +d, +hh, +mi, +(ss || 0)));
  let zone = 'UTC'; // a wall-clock time: format it as it is
  if (offset) {
    when = new Date(text.trim());
    zone = tz;
  }
  if (Number.isNaN(when.getTime())) return text.slice(0, 100);
  return `${new Intl.DateTimeFormat(locale, { ...WEEKDAY, timeZone: zone }).format(when)} (${tz})`;
}

/**
 * Where the sale is in its life, if that is the news: not started, in a session break, closed.
 * null while the sale is live (the lot is the news then).
 */
export function saleLife(sale) {
  if (!sale) return null;
  const say = (life) => ({ ...life, text: t(life.msgid, life.params), detail: t(life.detailMsgid, life.params) });
  if (sale.status === 'draft') {
    return say({ tone: 'info', kind: 'draft', msgid: N_('The sale has not started'), detailMsgid: N_('Bidding opens when the sale goes live') });
  }
  if (sale.status === 'closed') {
    return say({ tone: 'closed', kind: 'closed', msgid: N_('The sale is closed'), detailMsgid: N_('Thank you for taking part') });
  }
  const brk = sale.break;
  if (brk && typeof brk === 'object') {
    const message = typeof brk.message === 'string' ? brk.message.trim() : '';
    const start = sessionStart(brk.next_start, sale.timezone);
    return say({
      tone: 'warn', kind: 'break', params: { message, start },
      msgid: message ? N_('Session break: {message}') : N_('Session break'),
      detailMsgid: start ? N_('The next session starts {start}') : N_('The sale will resume at the next session'),
    });
  }
  return null;
}

/** The room display's headline for the lot state. */
export function roomStatus(state) {
  const lot = state.lot;
  const life = saleLife(state.sale);
  if (life) return life;
  const say = (tone, msgid, params = {}) => ({ tone, msgid, params, text: t(msgid, params) });
  if (state.sale?.paused) {
    const message = state.sale.message;
    return say('warn', message ? N_('Paused: {message}') : N_('Paused'), { message });
  }
  if (!lot) return say('info', N_('The sale will begin shortly'));
  switch (lot.status) {
    case 'fair_warning': return say('warn', N_('Fair warning'));
    case 'sold': return lot.hammer?.subject_to ? say('warn', N_('Sold subject to')) : say('sold', N_('Sold'));
    case 'passed': return say('closed', N_('Passed'));
    case 'withdrawn': return say('closed', N_('Withdrawn'));
    case 'pending': return say('info', N_('Next lot'));
    default: return lot.high ? say('info', N_('Current bid')) : say('info', N_('Opening bid'));
  }
}

/** Staff: late bids on every lot, oldest first. */
export function lateBids(state) {
  const out = [];
  for (const [lotId, view] of Object.entries(state.views)) {
    for (const l of view.late || []) out.push({ ...l, lot: lotId });
  }
  return out.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
}

/** Staff: pending online bids on the lot on the block, oldest first. */
export function pendingBids(state) {
  return (state.lot?.pending || []).slice().sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
}

/**
 * Indicative conversions of `minor` (in `from`) with a rates file {base, rates: {CUR: per base}}.
 * Returns [{currency, value}] in major units, the sale's own currency left out.
 */
export function convert(minor, from, table) {
  if (typeof minor !== 'number' || !table || typeof table.rates !== 'object') return [];
  const base = table.base || 'EUR';
  const rate = (cur) => (cur === base ? 1 : Number(table.rates[cur]));
  let digits = 2;
  try { digits = new Intl.NumberFormat('en', { style: 'currency', currency: from }).resolvedOptions().maximumFractionDigits; } catch { /* keep 2 */ }
  const inFrom = minor / 10 ** digits;
  const r = rate(from);
  if (!(r > 0)) return [];
  const inBase = inFrom / r;
  const out = [];
  for (const cur of [base, ...Object.keys(table.rates)]) {
    if (cur === from || out.some((o) => o.currency === cur)) continue;
    const rc = rate(cur);
    if (!(rc > 0) || !/^[A-Z]{3}$/.test(cur)) continue;
    out.push({ currency: cur, value: inBase * rc });
  }
  return out;
}
