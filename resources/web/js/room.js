// The room display: /room (public room topic only, no token).

import { bidderLabel, convert, currencyOf, estimateText, formatMoney, initialState, LIVE, roomStatus } from './state.js';
import { createStore, sync } from './connection.js';
import { $, h, SALE_IRI, setImage, setText, setTone, showConnection } from './ui.js';
import { renderFlash, renderNotices } from './saleday.js';

const sale = new URLSearchParams(location.search).get('sale') || 'demo';
let rates = null;

function render(s) {
  const lot = s.lot;
  const c = currencyOf(s);
  const head = roomStatus(s);
  document.body.dataset.lotStatus = s.sale?.paused ? 'paused' : lot?.status || 'none';
  setText($('#sale-title'), s.sale?.title || '');
  setImage($('#lot-image'), lot?.images?.[0], lot ? lot.title : '');
  setText($('#lot-number'), lot ? `Lot ${lot.id}` : '');
  setText($('#lot-title'), lot ? lot.title : 'Welcome');
  setText($('#lot-estimate'), lot ? estimateText(lot, c) : '');
  const headline = $('#headline');
  setText(headline, head.text);
  setTone(headline, head.tone);
  setText($('#life-detail'), head.detail || '');
  renderNotices($('#notices'), lot);
  renderFlash($('#flash'), s.flash);

  let amount = null;
  if (lot?.status === 'sold' && lot.hammer) amount = lot.hammer.amount;
  else if (lot?.high) amount = lot.high.amount;
  else if (lot && LIVE.includes(lot.status)) amount = lot.ask;
  setText($('#current'), amount == null ? '' : formatMoney(amount, c));
  const high = lot?.status === 'sold' && lot.hammer ? lot.hammer : lot?.high;
  setText($('#bidder'), lot && !['passed', 'withdrawn', 'pending'].includes(lot.status) && high ? bidderLabel(high) : '');
  $('#bidder').classList.toggle('house', !!high?.house);
  setText($('#ask'), lot && LIVE.includes(lot.status) && lot.high ? `Next bid ${formatMoney(lot.ask, c)}` : '');

  const items = convert(amount, c, rates).map((r) => h('li', {},
    h('span', { class: 'rate-cur' }, r.currency),
    h('span', { class: 'rate-val' }, `≈ ${new Intl.NumberFormat(undefined, { style: 'currency', currency: r.currency, maximumFractionDigits: 0 }).format(r.value)}`)));
  $('#rates').replaceChildren(...items);
  setText($('#rates-date'), rates?.date ? `Indicative only, rates of ${new Date(`${rates.date}T12:00:00Z`).toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' })}. Invoices are in ${c}.` : '');
  $('.board').hidden = !rates || amount == null;
}

async function loadRates() {
  try {
    const r = await fetch('/static/rates.json', { cache: 'no-store' });
    if (r.ok) rates = await r.json();
  } catch { rates = null; }
}

async function main() {
  const store = createStore(initialState());
  await loadRates();
  store.subscribe(render);
  sync({ store, sale, topics: [`${SALE_IRI(sale)}/room`], onStatus: (st) => showConnection($('#banner'), st) });
  setInterval(async () => { await loadRates(); render(store.get()); }, 10 * 60 * 1000);
}

main();
