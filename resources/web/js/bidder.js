// The remote bidder's page: /bid#token=JWT

import {
  applyBidAnswer, bidderStatus, currencyOf, estimateText, formatMoney, initialState, LIVE, upcoming,
} from './state.js';
import { createStore, sync } from './connection.js';
import {
  $, api, h, newKey, SALE_IRI, setImage, setText, setTone, showConnection, takeToken, topicsOf,
} from './ui.js';

const TOKEN_KEY = 'auctionmen.bidder.token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let store = null;
let sale = new URLSearchParams(location.search).get('sale') || 'demo';
let token = null;
let sending = false;

function gate(text) {
  const el = $('#gate');
  setText(el, text);
  el.hidden = !text;
}

async function openSession() {
  // Until the stage answers, keep trying: the page may have been opened while it restarts.
  for (let wait = 500; ; wait = Math.min(wait * 2, 8000)) {
    const r = await api('POST', '/api/session', { token });
    if (r.status === 200 && r.body) { showConnection($('#banner'), 'live'); return r.body; }
    if (r.status === 401 || r.status === 403) return null;
    showConnection($('#banner'), 'reconnecting');
    await sleep(wait);
  }
}

async function main() {
  token = takeToken(TOKEN_KEY);
  let me = null;
  let topics = [`${SALE_IRI(sale)}/room`];
  let hub = '/.well-known/mercure';
  if (token) {
    const session = await openSession();
    if (session) {
      sale = session.sale || sale;
      hub = session.hub || hub;
      me = { paddle: String(session.paddle), ...(session.bidder || {}) };
      topics = topicsOf(session, [`${SALE_IRI(sale)}/room`, `${SALE_IRI(sale)}/bidders/${me.paddle}`]);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
      token = null;
      gate('Your bidding link has expired or is not valid. Please ask the auction house for a new link. You can still watch.');
    }
  } else {
    gate('You are watching. To bid, open the personal bidding link the auction house sent you.');
  }
  store = createStore(initialState(me));
  store.subscribe(render);
  $('#bid').addEventListener('click', bid);
  sync({ store, sale, topics, token, hub, onStatus: (s) => showConnection($('#banner'), s) });
}

async function bid() {
  const s = store.get();
  if (sending || !bidderStatus(s).canBid) return;
  const attempt = { lot: s.lot.id, amount: s.lot.ask, seen_seq: s.seq, key: newKey() };
  sending = true;
  render(store.get());
  const r = await send(attempt);
  sending = false;
  if (r.status === 401) {
    gate('Your bidding link has expired. Please ask the auction house for a new link.');
  }
  const body = r.status === 0 ? { reason: 'network' } : r.body;
  store.update((st) => applyBidAnswer(st, r.status, body, attempt));
  render(store.get());
}

// A repeat carries the same key, so the stage counts the bid once and answers it with its
// first answer. Repeated: a network error (it may not have arrived), and "unconfirmed" from a
// relay (it went to the room but no answer came back: it may have been placed).
async function send(attempt) {
  let r = { status: 0, body: null };
  for (let i = 0; i < 4; i++) {
    r = await api('POST', `/api/sales/${encodeURIComponent(sale)}/bids`, { body: attempt, token });
    const unconfirmed = r.status === 503 && r.body?.reason === 'unconfirmed';
    if (r.status !== 0 && !unconfirmed) break;
    if (unconfirmed) {
      store.update((st) => ({ ...st, notice: { lot: attempt.lot, kind: 'checking', amount: attempt.amount } }));
      render(store.get());
    }
    await sleep(unconfirmed ? 1000 * (i + 1) : 300 * (i + 1));
  }
  return r;
}

function render(s) {
  const lot = s.lot;
  const c = currencyOf(s);
  const st = bidderStatus(s);
  setText($('#sale-title'), s.sale?.title || 'Live bidding');
  setText($('#paddle'), s.me ? `Paddle ${s.me.paddle}` : 'Watching');
  setImage($('#lot-image'), lot?.images?.[0], lot ? lot.title : '');
  setText($('#lot-number'), lot ? `Lot ${lot.id}` : '');
  setText($('#lot-title'), lot ? lot.title : 'Waiting for the sale to begin');
  setText($('#lot-estimate'), lot ? estimateText(lot, c) : '');
  setText($('#lot-description'), lot?.description || '');

  const live = lot && LIVE.includes(lot.status);
  let current = '—';
  if (lot?.status === 'sold' && lot.hammer) current = formatMoney(lot.hammer.amount, c);
  else if (lot?.high) current = formatMoney(lot.high.amount, c);
  else if (lot) current = 'No bids yet';
  setText($('#current'), current);
  setText($('#ask'), live ? formatMoney(lot.ask, c) : '—');

  const status = $('#status');
  setText(status, st.text);
  setTone(status, st.tone);
  document.body.dataset.lotStatus = lot?.status || 'none';

  const button = $('#bid');
  button.disabled = sending || !st.canBid;
  setText(button, sending ? 'Sending…' : live && lot.ask ? `Bid ${formatMoney(lot.ask, c)}` : 'Bid');
  setText($('#bid-reason'), st.canBid || sending ? '' : st.reason);
  const notice = $('#notice');
  setText(notice, st.notice);
  notice.hidden = !st.notice;

  const list = $('#upcoming');
  const items = upcoming(s, 6).map((l) => h('li', {},
    h('span', { class: 'lot-no' }, `Lot ${l.id}`), ' ',
    h('span', { class: 'lot-name' }, l.title), ' ',
    h('span', { class: 'muted' }, estimateText(l, c))));
  list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, 'No more lots')]));
}

main();
