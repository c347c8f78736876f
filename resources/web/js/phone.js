// The phone operator's view: /phone#token=JWT&operator=NAME (a clerk token), or pair with the PIN.
//
// Lists the operator's phone bookings (the staff snapshot's `phones`, kept up to date by
// phone_booked / phone_cancelled) and alerts when a booked lot is 3 lots away or closer in
// the running order. Printed, it is the operator's phone card.

import { initialState } from './state.js';
import { createStore, sync } from './connection.js';
import { $, h, pairDesk, SALE_IRI, setText, showConnection, topicsOf } from './ui.js';
import { bookingsFor, bookingStatus, phoneAlerts, renderLife } from './saleday.js';

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
  setText($('#sale-title'), s.sale?.title ? `Phone bids — ${s.sale.title}` : 'Phone bids');
  setText($('#operator-chip'), operator ? `Operator: ${operator}` : 'All operators');
  setText($('#card-title'), operator ? `Phone card — ${operator}` : 'Phone bookings — all operators');
  setText($('#card-sale'), s.sale?.title || '');
  renderLife($('#life'), s.sale, { seal: true });

  const lot = s.lot;
  setText($('#block'), lot ? `On the block: lot ${lot.id}${lot.title ? ` — ${lot.title}` : ''} (${String(lot.status).replace('_', ' ')})` : 'No lot on the block yet');

  const alerts = phoneAlerts(s, operator);
  $('#alerts').replaceChildren(...alerts.map((a) => h('li', { class: a.away === 0 ? 'alert now' : 'alert' },
    a.text, a.booking.operator && !operator ? ` (operator ${a.booking.operator})` : '')));
  $('#alerts').hidden = alerts.length === 0;

  const rows = bookingsFor(s, operator).map((b) => {
    const st = bookingStatus(s, b);
    const name = s.bidders[String(b.paddle)]?.name || '';
    const range = b.from_lot === b.to_lot ? `Lot ${b.from_lot}` : `Lots ${b.from_lot}–${b.to_lot}`;
    const title = st.next ? lotTitle(s, st.next) : '';
    return h('tr', { class: st.away != null && st.away <= 3 ? 'soon' : '' },
      h('td', { class: 'paddle' }, String(b.paddle)),
      h('td', {}, name, !operator && b.operator ? h('span', { class: 'muted block' }, `Operator ${b.operator}`) : null),
      h('td', {}, range),
      h('td', {}, st.text, title ? h('span', { class: 'muted block' }, title) : null));
  });
  $('#bookings').replaceChildren(...rows);
  $('#no-bookings').hidden = rows.length > 0;
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

function main() {
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
