// The sale day around the lots: the sale's rules in words, saleroom notices, the sale's life
// (not started, session break, closed) and the phone operators' bookings.
//
// The functions above the line are pure (state in, words out); the render helpers below it
// only ever put text into the DOM.

import { formatMoney, HOUSE_BID, LIVE, saleLife } from './state.js';
import { locale, N_, t } from './i18n.js';
import { h, setText, setTone } from './ui.js';

// ------------------------------------------------------------------ the rules of this sale

/** Basis points as a percentage in the page's language: 2500 -> "25%", 1450 -> "14.5%" ("14,5 %"). */
export function percent(bp) {
  if (typeof bp !== 'number' || !Number.isFinite(bp)) return '';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 2 }).format(bp / 10000);
}

/**
 * The buyer's premium schedule in words. `bands` is [[from_minor, rate_bp], ...], marginal per
 * band, the first from 0. Malformed rows are left out rather than guessed at.
 */
export function premiumText(bands, currency) {
  if (!Array.isArray(bands)) return [];
  const rows = bands
    .filter((b) => Array.isArray(b) && Number.isInteger(b[0]) && b[0] >= 0 && Number.isInteger(b[1]) && b[1] >= 0)
    .slice()
    .sort((a, b) => a[0] - b[0]);
  return rows.map(([from, bp], i) => {
    const next = rows[i + 1]?.[0];
    const rate = percent(bp);
    const p = { rate, from: formatMoney(from, currency), to: formatMoney(next, currency) };
    if (rows.length === 1) return t('{rate} of the hammer price', p);
    if (i === 0) return t('{rate} of the hammer price up to {to}', p);
    if (next == null) return t('{rate} above {from}', p);
    return t('{rate} from {from} to {to}', p);
  });
}

const TIES = {
  first_received: N_('the first bid the auctioneer receives wins'),
  floor_priority: N_('a bid in the room wins over an equal online bid'),
};

function seconds(n) {
  const count = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(n);
  return n === 1 ? t('1 second') : t('{count} seconds', { count });
}

/** "Rules of this sale" as [{term, text}], from the sale view's `rules` (or its old fields). */
export function rulesList(sale) {
  if (!sale) return [];
  const r = sale.rules && typeof sale.rules === 'object' ? sale.rules : {};
  const currency = r.currency || sale.currency || 'EUR';
  const out = [];
  const premium = premiumText(r.buyer_premium, currency);
  if (premium.length) out.push({ term: t("Buyer's premium"), text: premium.join('; ') });
  if (typeof r.vat_rate_bp === 'number') {
    out.push({ term: t('VAT'), text: t('{rate} where VAT is due (each lot shows its VAT scheme)', { rate: percent(r.vat_rate_bp) }) });
  }
  const tie = r.tie_policy ?? sale.tie_policy;
  if (TIES[tie]) out.push({ term: t('Equal bids'), text: t(TIES[tie]) });
  if (typeof r.subject_to === 'boolean') {
    out.push({
      term: t('Reserve not met'),
      text: r.subject_to
        ? t('The lot may be sold "subject to" the vendor accepting the price after the sale')
        : t('The lot is passed (not sold)'),
    });
  }
  if (typeof r.late_window === 'number' && r.late_window > 0) {
    const reopen = typeof r.reopen_window === 'number' && r.reopen_window > 0;
    const p = { late: seconds(r.late_window), reopen: reopen ? seconds(r.reopen_window) : '' };
    out.push({
      term: t('Late bids'),
      text: reopen
        ? t('A bid arriving up to {late} after the hammer is recorded as a late bid; the auctioneer may reopen the lot within {reopen}', p)
        : t('A bid arriving up to {late} after the hammer is recorded as a late bid', p),
    });
  }
  const confirm = r.confirm_online ?? sale.confirm_online;
  if (typeof confirm === 'boolean') {
    out.push({
      term: t('Online bids'),
      text: confirm ? t('The clerk confirms each online bid before it counts') : t('Online bids count as soon as they arrive'),
    });
  }
  if (typeof r.auto_absentee === 'boolean') {
    out.push({
      term: t('Commission bids'),
      text: r.auto_absentee
        ? t('Executed automatically, never above your maximum')
        : t('Executed by the auctioneer, never above your maximum'),
    });
  }
  out.push({ term: t('Currency'), text: t('Prices are in {currency}', { currency }) });
  return out;
}

// ------------------------------------------------------------------ phone bookings

const byId = (a, b) => String(a).localeCompare(String(b), 'en', { numeric: true });

/** Is lot `id` inside the booking's range? Lot numbers compare naturally (9 < 10 < 10a). */
export function inBooking(booking, id) {
  return byId(id, booking.from_lot) >= 0 && byId(id, booking.to_lot) <= 0;
}

/** The lots still to be offered, in running order: the live lot first, then those waiting. */
export function runningOrder(state) {
  const live = state.lot && LIVE.includes(state.lot.status) ? state.lot.id : null;
  const waiting = state.lots.filter((l) => l.status === 'pending' && l.id !== live);
  return { live, queue: live != null ? [live, ...waiting.map((l) => l.id)] : waiting.map((l) => l.id) };
}

/** An operator's bookings (all of them without a name), in the order they come up. */
export function bookingsFor(state, operator) {
  const name = String(operator || '').trim().toLowerCase();
  return state.phones
    .filter((b) => !name || String(b.operator || '').trim().toLowerCase() === name)
    .slice()
    .sort((a, b) => byId(a.from_lot, b.from_lot) || byId(a.paddle, b.paddle));
}

/**
 * Where each booking stands: its next lot still to come and how many lots away it is
 * (0: on the block now). `away` counts the lots offered before it: the one on the block
 * (or, between lots, the next to open) is 0 or 1 away.
 */
export function bookingStatus(state, booking) {
  const { live, queue } = runningOrder(state);
  const i = queue.findIndex((id) => inBooking(booking, id));
  if (i < 0) return { next: null, away: null, text: t('Done: no lots left in this range') };
  const next = queue[i];
  const away = live != null ? i : i + 1;
  let text;
  if (away === 0) text = t('Lot {lot} is on the block now', { lot: next });
  else if (away === 1) text = t('Lot {lot} is next', { lot: next });
  else text = t('Lot {lot} is {away} lots away', { lot: next, away });
  return { next, away, text };
}

/** The alerts an operator must see: a booked lot 3 (or fewer) lots away, or on the block. */
export function phoneAlerts(state, operator, within = 3) {
  const out = [];
  for (const b of bookingsFor(state, operator)) {
    const st = bookingStatus(state, b);
    if (st.away == null || st.away > within) continue;
    const p = { paddle: b.paddle, lot: st.next, away: st.away };
    let text;
    if (st.away === 0) text = t("Paddle {paddle}'s lot {lot} is on the block now", p);
    else if (st.away === 1) text = t("Paddle {paddle}'s lot {lot} is 1 lot away", p);
    else text = t("Paddle {paddle}'s lot {lot} is {away} lots away", p);
    out.push({ booking: b, away: st.away, lot: st.next, text });
  }
  return out.sort((a, b) => a.away - b.away);
}

// ------------------------------------------------------------------ rendering (text only)

/** The lot's saleroom notices as list items (an empty list hides itself). */
export function renderNotices(list, lot) {
  const notices = Array.isArray(lot?.notices) ? lot.notices.filter((n) => typeof n === 'string' && n) : [];
  list.replaceChildren(...notices.map((n) => h('li', {}, h('strong', {}, t('Saleroom notice:')), ' ', n)));
  list.hidden = notices.length === 0;
}

/**
 * The sale's life (not started / break / closed) in a banner; hidden while the sale runs.
 * `seal`: staff pages also show the sealed journal's head hash once the sale is closed.
 */
export function renderLife(el, sale, { seal = false } = {}) {
  let life = saleLife(sale);
  if (life && seal && life.kind === 'closed' && typeof sale.head === 'string' && sale.head) {
    life = { ...life, detail: t('Journal sealed — head hash {hash}', { hash: sale.head }) };
  }
  el.hidden = !life;
  el.dataset.kind = life?.kind || '';
  if (!life) { el.replaceChildren(); return; }
  const title = el.querySelector('.life-title') || h('strong', { class: 'life-title' });
  const detail = el.querySelector('.life-detail') || h('span', { class: 'life-detail' });
  if (!title.parentNode) el.replaceChildren(title, ' ', detail);
  setText(title, life.text);
  setText(detail, life.detail);
  setTone(el, life.tone);
}

/** The last saleroom notice, flashed: "Saleroom notice — Lot 12: …". */
export function renderFlash(el, flash) {
  el.hidden = !flash;
  if (!flash) return;
  setText(el.querySelector('.flash-lot'), flash.lot != null ? t('Saleroom notice — Lot {lot}', { lot: flash.lot }) : t('Saleroom notice'));
  setText(el.querySelector('.flash-text'), flash.text);
}

const VAT = {
  margin: N_('VAT: margin scheme'), standard: N_('VAT: standard rate'), reduced: N_('VAT: reduced rate'),
  zero: N_('VAT: zero-rated'), import: N_('VAT: import VAT applies'),
};

/** What a buyer must know about a lot beyond its title: quantity, VAT scheme, resale right. */
export function lotFacts(lot) {
  if (!lot) return '';
  const out = [];
  if (Number.isInteger(lot.quantity) && lot.quantity > 1) out.push(t('Quantity {n}', { n: lot.quantity }));
  if (typeof lot.category === 'string' && lot.category) out.push(lot.category);
  if (VAT[lot.vat]) out.push(t(VAT[lot.vat]));
  if (lot.arr === true) out.push(t("Artist's resale right applies"));
  return out.join(' · ');
}

/** The high bid's holder in words when it is a house bid (else ''). */
export function houseNote(lot) {
  return lot?.high?.house && LIVE.includes(lot.status) ? t(HOUSE_BID) : '';
}
