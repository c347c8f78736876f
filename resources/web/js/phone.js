// The phone operator's view: /phone#token=JWT&operator=NAME (a clerk token), or pair with the PIN.
//
// Lists the operator's phone bookings (the staff snapshot's `phones`, kept up to date by
// phone_booked / phone_cancelled) and alerts when a booked lot is 3 lots away or closer in
// the running order. Printed, it is the operator's phone card.

import { initialState } from './state.js';
import { createStore, sync } from './connection.js';
import { $, h, pairDesk, SALE_IRI, setText, showConnection, topicsOf } from './ui.js';
import { bookingsFor, bookingStatus, phoneAlerts, renderLife } from './saleday.js';
import { t } from './i18n.js';
import { startLanguage } from './staff.js';

const OPERATOR_KEY = 'auctionmen.phone.operator';
let sale = 'demo';
let store = null;
let operator = '';

/** The operator named in the fragment (read before takeToken clears it), else the last one. */
function takeOperator() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('operator');
  if (fromUrl != null) sessionStorage.setItem(OPERATOR_KEY, fromUrl.slice(0, 64));
  return sessionStorage.getItem(OPERATOR_KEY) || '';
}

function lotTitle(s, id) {
  return s.lots.find((l) => l.id === id)?.title || '';
}

function render(s) {
  setText($('#sale-title'), s.sale?.title ? t('Phone bids — {sale}', { sale: s.sale.title }) : t('Phone bids'));
  setText($('#operator-chip'), operator ? t('Operator: {name}', { name: operator }) : t('All operators'));
  setText($('#card-title'), operator ? t('Phone card — {name}', { name: operator }) : t('Phone bookings — all operators'));
  setText($('#card-sale'), s.sale?.title || '');
  renderLife($('#life'), s.sale, { seal: true });

  const lot = s.lot;
  const status = STATUS()[lot?.status] || String(lot?.status).replace('_', ' ');
  setText($('#block'), !lot ? t('No lot on the block yet') : lot.title
    ? t('On the block: lot {lot} — {title} ({status})', { lot: lot.id, title: lot.title, status })
    : t('On the block: lot {lot} ({status})', { lot: lot.id, status }));

  const alerts = phoneAlerts(s, operator);
  $('#alerts').replaceChildren(...alerts.map((a) => h('li', { class: a.away === 0 ? 'alert now' : 'alert' },
    alertText(a), a.booking.operator && !operator ? ' ' + t('(operator {name})', { name: a.booking.operator }) : '')));
  $('#alerts').hidden = alerts.length === 0;

  const rows = bookingsFor(s, operator).map((b) => {
    const st = bookingStatus(s, b);
    const name = s.bidders[String(b.paddle)]?.name || '';
    const range = b.from_lot === b.to_lot ? t('Lot {lot}', { lot: b.from_lot }) : t('Lots {from}–{to}', { from: b.from_lot, to: b.to_lot });
    const title = st.next ? lotTitle(s, st.next) : '';
    return h('tr', { class: st.away != null && st.away <= 3 ? 'soon' : '' },
      // The paddle and the bidder share a column: at 360 px the name keeps the width it needs.
      h('td', { class: 'name' }, h('span', { class: 'paddle' }, String(b.paddle)), name ? h('span', { class: 'block' }, name) : null,
        !operator && b.operator ? h('span', { class: 'muted block' }, t('Operator {name}', { name: b.operator })) : null),
      h('td', {}, range),
      h('td', {}, statusText(st), title ? h('span', { class: 'muted block' }, title) : null));
  });
  $('#bookings').replaceChildren(...rows);
  $('#no-bookings').hidden = rows.length > 0;
}

const STATUS = () => ({
  pending: t('waiting'), open: t('open'), fair_warning: t('fair warning'), sold: t('sold'),
  passed: t('passed'), withdrawn: t('withdrawn'),
});

/** A booking's next lot in words (saleday.js counts; the words are the page's). */
function statusText(st) {
  if (st.next == null) return t('Done: no lots left in this range');
  if (st.away === 0) return t('Lot {lot} is on the block now', { lot: st.next });
  if (st.away === 1) return t('Lot {lot} is next', { lot: st.next });
  return t('Lot {lot} is {n} lots away', { lot: st.next, n: st.away });
}

function alertText(a) {
  const p = { paddle: a.booking.paddle, lot: a.lot, n: a.away };
  if (a.away === 0) return t("Paddle {paddle}'s lot {lot} is on the block now", p);
  if (a.away === 1) return t("Paddle {paddle}'s lot {lot} is 1 lot away", p);
  return t("Paddle {paddle}'s lot {lot} is {n} lots away", p);
}

function start(session, token) {
  sale = session.sale || sale;
  const staff = topicsOf(session, []).filter((t) => t.endsWith('/staff'));
  $('#pair').hidden = true;
  $('#desk').hidden = false;
  store = createStore(initialState());
  store.subscribe(render);
  sync({
    store, sale, token, hub: session.hub || '/.well-known/mercure', gapless: true,
    topics: staff.length ? staff : [`${SALE_IRI(sale)}/staff`],
    onStatus: (st) => showConnection($('#banner'), st),
  });
}

async function main() {
  await startLanguage(() => store && render(store.get()));
  operator = takeOperator();
  $('#operator').value = operator;
  $('#operator-form').addEventListener('submit', (e) => {
    e.preventDefault();
    operator = $('#operator').value.trim().slice(0, 64);
    sessionStorage.setItem(OPERATOR_KEY, operator);
    if (store) render(store.get());
  });
  $('#print').addEventListener('click', () => window.print());
  pairDesk({ place: 'desk', onSession: start });
}

main();
