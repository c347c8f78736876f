// The room display: /room (public room topic only, no token).
//
// Its words come in the house's languages (`/house.json` room_languages: one, or two shown at
// once, the second smaller under the first), else the browser's. The currency board shows the
// rates the house imported with their date; the stage leaves them out once they are older than
// the house allows, and the board hides. A passed lot shows "Passed" only, unless the house
// chooses to show where bidding stopped.

import { bidderLabel, convert, currencyOf, formatMoney, initialState, LIVE, roomStatus } from './state.js';
import { createStore, sync } from './connection.js';
import { $, h, SALE_IRI, setImage, setText, setTone, showConnection } from './ui.js';
import { renderFlash, renderNotices } from './saleday.js';
import { chooseLanguage, loadCatalogue, loadLanguage, N_, t, tIn, translateDom } from './i18n.js';

const sale = new URLSearchParams(location.search).get('sale') || 'demo';
let house = {};
let second = null; // the room's second language, if the house shows two

/** `msgid` in the room's language(s): the first as text, the second in a smaller line. */
function bi(el, msgid, params = {}) {
  if (!msgid) { setText(el, ''); el.dataset.key = ''; return; }
  const first = t(msgid, params);
  const other = second ? tIn(second, msgid, params) : '';
  const key = `${first}\u0000${other}`;
  if (el.dataset.key === key) return; // unchanged: a live region says nothing
  el.dataset.key = key;
  if (!other || other === first) { el.textContent = first; return; }
  el.replaceChildren(document.createTextNode(first), h('span', { class: 'second', lang: second }, other));
}

/** The amount the room sees: the hammer, the high bid, or the ask (a passed lot: none). */
export function roomAmount(lot, showsPassed = false) {
  if (!lot) return null;
  if (lot.status === 'sold') return lot.hammer ? lot.hammer.amount : null;
  if (lot.status === 'passed') return showsPassed && lot.high ? lot.high.amount : null;
  if (lot.high && lot.status !== 'withdrawn' && lot.status !== 'pending') return lot.high.amount;
  return LIVE.includes(lot.status) ? lot.ask : null;
}

function dayText(iso) {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString(document.documentElement.lang, {
    day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
  });
}

function renderBoard(amount, c) {
  const rates = house.rates;
  const locale = document.documentElement.lang;
  const items = convert(amount, c, rates).map((r) => h('li', {},
    h('span', { class: 'rate-cur' }, r.currency),
    h('span', { class: 'rate-val' }, `≈ ${new Intl.NumberFormat(locale, { style: 'currency', currency: r.currency, maximumFractionDigits: 0 }).format(r.value)}`)));
  $('#rates').replaceChildren(...items);
  bi($('#rates-date'), rates?.date ? N_('Indicative only, rates of {date}. Invoices are in {currency}.') : '',
    { date: rates?.date ? dayText(rates.date) : '', currency: c });
  $('.board').hidden = !rates || amount == null || !items.length;
}

function render(s) {
  const lot = s.lot;
  const c = currencyOf(s);
  const head = roomStatus(s);
  document.body.dataset.lotStatus = s.sale?.paused ? 'paused' : lot?.status || 'none';
  setText($('#sale-title'), s.sale?.title || '');
  setImage($('#lot-image'), lot?.images?.[0], lot ? lot.title : '');
  bi($('#lot-number'), lot ? N_('Lot {id}') : '', { id: lot?.id });
  setText($('#lot-title'), lot ? lot.title : t('Welcome'));
  const e = lot?.estimate || {};
  if (lot && e.low != null && e.high != null) bi($('#lot-estimate'), N_('Estimate {low}–{high}'), { low: formatMoney(e.low, c), high: formatMoney(e.high, c) });
  else if (lot && (e.low ?? e.high) != null) bi($('#lot-estimate'), N_('Estimate {amount}'), { amount: formatMoney(e.low ?? e.high, c) });
  else bi($('#lot-estimate'), '');
  const headline = $('#headline');
  bi(headline, head.msgid || head.text, head.params);
  setTone(headline, head.tone);
  bi($('#life-detail'), head.detailMsgid || head.detail || '', head.params);
  renderNotices($('#notices'), lot);
  renderFlash($('#flash'), s.flash);

  const amount = roomAmount(lot, house.room_shows_passed_amount === true);
  setText($('#current'), amount == null ? '' : formatMoney(amount, c));
  const high = lot?.status === 'sold' && lot.hammer ? lot.hammer : lot?.high;
  const showBidder = lot && !['passed', 'withdrawn', 'pending'].includes(lot.status) && high;
  const who = showBidder ? bidderLabel(high, true) : null;
  bi($('#bidder'), who?.msgid || '', who?.params);
  $('#bidder').classList.toggle('house', !!high?.house);
  bi($('#ask'), lot && LIVE.includes(lot.status) && lot.high ? N_('Next bid {amount}') : '', { amount: formatMoney(lot?.ask, c) });
  renderBoard(amount, c);
}

async function loadHouse() {
  try {
    const r = await fetch('/house.json', { cache: 'no-store' });
    if (r.ok) house = await r.json();
  } catch { /* keep what we had: the board and languages stay as they were */ }
  if (!house || typeof house !== 'object') house = {};
}

async function main() {
  await loadHouse();
  const langs = Array.isArray(house.room_languages) ? house.room_languages : [];
  const asked = new URLSearchParams(location.search).get('lang');
  await loadLanguage(asked || langs[0] || chooseLanguage());
  if (!asked && langs[1]) second = await loadCatalogue(langs[1]);
  translateDom();
  const store = createStore(initialState());
  store.subscribe(render);
  sync({ store, sale, topics: [`${SALE_IRI(sale)}/room`], onStatus: (st) => showConnection($('#banner'), st) });
  setInterval(async () => { await loadHouse(); render(store.get()); }, 10 * 60 * 1000);
}

main();
