// A consignor's private view: /consignor#token=JWT (a consignor token from the house's link).
//
// Shows their own lots (status, the bid while a lot is selling, the hammer) and their running
// net (hammer less commission and charges) from GET /api/sales/{sale}/consignor, and follows
// their private topic: the stage publishes every event of their lots there (no buyer named),
// and each one reloads the figures.

import { exactMoney } from './money.js';
import { locale, t } from './i18n.js';
import { startLanguage } from './staff.js';
import { connect } from './connection.js';
import { $, api, h, setText, showConnection, takeToken } from './ui.js';

const TOKEN_KEY = 'auctionmen.consignor.token';
const STATUS = () => ({
  pending: t('To come'), open: t('Selling now'), fair_warning: t('Selling now — fair warning'), sold: t('Sold'),
  passed: t('Not sold'), withdrawn: t('Withdrawn'),
});
const formatMoney = (minor, currency) => exactMoney(minor, currency, locale());
const EXPIRED = () => t('This link has expired or is not valid. Please ask the auction house for a new one.');

let token = null;
let sale = 'demo';
let view = null; // the last answer of GET .../consignor
const live = {}; // lot id -> the latest lot state from the topic
let timer = null;

function gate(text) {
  setText($('#gate'), text);
  $('#gate').hidden = !text;
}

async function load() {
  const r = await api('GET', `/api/sales/${encodeURIComponent(sale)}/consignor`, { token });
  if (r.status === 401 || r.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    gate(EXPIRED());
    $('#view').hidden = true;
    return null;
  }
  if (r.status !== 200 || !r.body) { showConnection($('#banner'), 'reconnecting'); return null; }
  view = r.body;
  render();
  return view;
}

function render() {
  const s = view.settlement;
  const c = s.currency;
  $('#view').hidden = false;
  setText($('#sale-title'), view.title ? t('Your lots — {sale}', { sale: view.title }) : t('Your lots'));
  setText($('#who'), t('Consignor {ref}', { ref: view.consignor }));
  setText($('#hammer'), formatMoney(s.hammer, c));
  setText($('#deductions'), formatMoney(s.deductions, c));
  setText($('#net'), formatMoney(s.net, c));
  const paid = s.paid_out ? t('paid out {amount}', { amount: formatMoney(s.paid_out, c) }) : '';
  const due = s.payout_date ? t('Payout due {date}', { date: dateText(s.payout_date) }) : '';
  setText($('#payout'), [due, paid].filter(Boolean).join(' · '));
  const base = `/api/sales/${encodeURIComponent(sale)}/settlements/${encodeURIComponent(view.consignor)}`;
  $('#statement').href = `${base}.html`;
  $('#statement-pdf').href = `${base}.pdf`;
  $('#lots').replaceChildren(...s.lots.map((l) => {
    const now = live[l.lot] || {};
    const status = now.status || l.status;
    let figure = l.hammer != null ? formatMoney(l.hammer, c) : '—';
    if (['open', 'fair_warning'].includes(status)) figure = now.high ? formatMoney(now.high.amount, c) : t('No bids yet');
    else if (status === 'sold' && now.hammer?.amount != null) figure = formatMoney(now.hammer.amount, c);
    return h('tr', { class: ['open', 'fair_warning'].includes(status) ? 'live' : '', dataset: { lot: l.lot } },
      h('td', {}, l.lot), h('td', { class: 'title' }, l.title),
      h('td', { class: 'lot-state' }, STATUS()[status] || status),
      h('td', { class: 'num' }, figure));
  }));
}

/** A payout date (YYYY-MM-DD) in the page's language; anything else as it came. */
function dateText(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso));
  if (!m) return String(iso);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

function onEvent(ev) {
  if (ev?.lot?.id != null) live[ev.lot.id] = ev.lot;
  if (view) render();
  clearTimeout(timer);
  timer = setTimeout(load, 250); // the net: the stage computes it
}

async function main() {
  await startLanguage(() => { if (view) render(); });
  token = takeToken(TOKEN_KEY);
  if (!token) { gate(t('Open the private link the auction house sent you.')); return; }
  const session = await api('POST', '/api/session', { token });
  if (session.status !== 200) { gate(EXPIRED()); return; }
  sale = session.body?.sale || sale;
  await api('POST', `/api/sales/${encodeURIComponent(sale)}/documents/session`, { token });
  if (!(await load())) return;
  connect({
    hub: session.body?.hub || '/.well-known/mercure',
    topics: [view.topic],
    onEvent,
    onOpen: (reconnected) => { if (reconnected) load(); },
    onStatus: (st) => showConnection($('#banner'), st),
  });
}

main();
