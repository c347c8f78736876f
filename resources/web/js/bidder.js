// The remote bidder's page: /bid#token=JWT
//
// In the bidder's language (a selector on the page; default the browser's, remembered). During
// an outage the Bid button is off under "Reconnecting…" (a bid could not reach the room), and
// a "could not be sent" notice goes once the connection is back. A notice belongs to its lot
// and ask (state.js) and goes when they change.

import {
  applyBidAnswer, bidderStatus, clearNetworkNotice, currencyOf, dismissFlash, dismissMessage, estimateText,
  formatMoney, initialState, LIVE, upcoming,
} from './state.js';
import {
  chooseLanguage, languageSelect, lang, loadCatalogue, loadLanguage, locale, N_, t, tIn, translateDom,
} from './i18n.js';
import { createStore, sync } from './connection.js';
import { exactMoney } from './money.js';
import {
  $, api, h, minorDigits, newKey, parseAmount, SALE_IRI, setImage, setText, setTone, showConnection,
  takeToken, topicsOf,
} from './ui.js';
import {
  houseNote, lotFacts, premiumText, renderFlash, renderLife, renderNotices, rulesList,
} from './saleday.js';

const TOKEN_KEY = 'auctionmen.bidder.token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let store = null;
let sale = new URLSearchParams(location.search).get('sale') || 'demo';
let token = null;
let sending = false;
let online = true; // the stream to the room is up (false: "Reconnecting…", no bidding)
let house = {}; // /house.json: the house's languages for its canned messages
let quick = new Set(); // the house's canned messages (translated; free text is shown as typed)

let gateMsgid = '';
function gate(msgid) {
  gateMsgid = msgid;
  const el = $('#gate');
  setText(el, msgid ? t(msgid) : '');
  el.hidden = !msgid;
}

/** The connection's state: the banner, and the Bid button off while the room is out of reach. */
function connection(status) {
  showConnection($('#banner'), status);
  const was = online;
  online = status === 'live';
  if (!store) return;
  if (online && !was) store.update(clearNetworkNotice);
  render(store.get());
}

async function loadExtras() {
  const [h1, c1] = await Promise.all([api('GET', '/house.json'), api('GET', '/api/commands')]);
  if (h1.status === 200 && h1.body && typeof h1.body === 'object') house = h1.body;
  const q = c1.status === 200 && Array.isArray(c1.body?.quick_messages) ? c1.body.quick_messages : [];
  quick = new Set(q.filter((m) => typeof m === 'string'));
  for (const l of messageLanguages()) await loadCatalogue(l);
}

/** The languages a canned message is shown in: two when the house shows two, else the bidder's. */
function messageLanguages() {
  const langs = Array.isArray(house.room_languages) ? house.room_languages.filter((l) => typeof l === 'string') : [];
  return langs.length === 2 ? langs : [lang()];
}

function messageText(text) {
  if (!quick.has(text)) return text;
  const out = [...new Set(messageLanguages().map((l) => (l === lang() ? t(text) : tIn(l, text))))];
  return out.join(' / ');
}

async function openSession() {
  // Until the stage answers, keep trying: the page may have been opened while it restarts.
  for (let wait = 500; ; wait = Math.min(wait * 2, 8000)) {
    const r = await api('POST', '/api/session', { token });
    if (r.status === 200 && r.body) { connection('live'); return r.body; }
    if (r.status === 401 || r.status === 403) return null;
    connection('reconnecting');
    await sleep(wait);
  }
}

async function main() {
  token = takeToken(TOKEN_KEY);
  await loadLanguage(chooseLanguage());
  translateDom();
  languageSelect($('#lang'), async () => {
    translateDom();
    for (const l of messageLanguages()) await loadCatalogue(l);
    gate(gateMsgid);
    if (store) render(store.get());
    else $('#lot-title').textContent = t('Waiting for the sale to begin');
  });
  $('#lot-title').textContent = t('Waiting for the sale to begin');
  await loadExtras();
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
      gate(N_('Your bidding link has expired or is not valid. Please ask the auction house for a new link. You can still watch.'));
    }
  } else {
    gate(N_('You are watching. To bid, open the personal bidding link the auction house sent you.'));
  }
  store = createStore(initialState(me));
  store.subscribe(render);
  $('#bid').addEventListener('click', bid);
  $('#flash-close').addEventListener('click', () => store.update(dismissFlash));
  $('#commission-form').addEventListener('submit', (e) => { e.preventDefault(); leaveCommission(); });
  $('#commission').hidden = !me;
  if (me) startAccount();
  sync({ store, sale, topics, token, hub, onStatus: connection });
}

async function bid() {
  const s = store.get();
  if (sending || !online || !bidderStatus(s).canBid) return;
  const attempt = { lot: s.lot.id, amount: s.lot.ask, seen_seq: s.seq, key: newKey() };
  sending = true;
  render(store.get());
  const r = await send(attempt);
  sending = false;
  if (r.status === 401) gate(N_('Your bidding link has expired. Please ask the auction house for a new link.'));
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

// ------------------------------------------------------------------ commission bids
//
// A bidder leaves a commission (absentee) bid for a lot not yet open: the two bidder ops
// (absentee_bid, cancel_absentee) go to the commands endpoint with the bidder's token and the
// token's own paddle. A stage that takes only staff there answers 403 and the page says so.

const COMMISSION_REASONS = {
  lot_not_pending: N_('Commission bids close when the lot opens'),
  below_start: N_('Your maximum is below the start price'),
  duplicate_book: N_('You already have a commission bid on this lot — cancel it first'),
  no_book: N_('You have no commission bid on this lot'),
  not_approved: N_('Your registration has not been approved yet'),
  over_limit: N_('This would go over your credit limit'),
  sale_closed: N_('The sale is closed'),
  unknown_lot: N_('That lot is not in this sale'),
  rate_limited: N_('Too many attempts at once — wait a moment and try again'),
};

function commissionSay(text, tone) {
  const el = $('#commission-result');
  setText(el, text);
  setTone(el, tone);
}

async function absentee(body) {
  const paddle = store.get().me?.paddle;
  const r = await api('POST', `/api/sales/${encodeURIComponent(sale)}/commands`, { body: { ...body, paddle, key: newKey() }, token });
  if (r.status === 200) return null;
  if (r.status === 401) gate(N_('Your bidding link has expired. Please ask the auction house for a new link.'));
  if (r.status === 0) return t('Not sent — check your connection and try again');
  if (r.status === 404 || r.status === 405 || (r.status === 403 && r.body?.reason === 'forbidden')) return t('Commission bids cannot be left online here yet — please contact the auction house');
  const reason = r.body?.reason;
  if (COMMISSION_REASONS[reason]) return t(COMMISSION_REASONS[reason]);
  return r.body?.detail || t('Not accepted ({reason})', { reason: reason || r.status });
}

async function leaveCommission() {
  const s = store.get();
  const c = currencyOf(s);
  const lotId = $('#commission-lot').value;
  const lot = s.lots.find((l) => l.id === lotId);
  if (!lot || lot.status !== 'pending') { commissionSay(t('Choose a lot that has not opened yet'), 'error'); return; }
  const typed = $('#commission-max').value.trim();
  const max = typed.startsWith('-') ? null : parseAmount(localAmount(typed), minorDigits(c));
  if (max == null || max <= 0 || !Number.isSafeInteger(max)) {
    commissionSay(t('Type your maximum as a number, e.g. {example}', { example: new Intl.NumberFormat(locale()).format(1200) }), 'error');
    $('#commission-max').focus();
    return;
  }
  $('#commission-send').disabled = true;
  const error = await absentee({ op: 'absentee_bid', lot: lotId, max });
  $('#commission-send').disabled = false;
  if (error) { commissionSay(error, 'error'); return; }
  store.update((st) => ({ ...st, commissions: { ...st.commissions, [lotId]: max } }));
  $('#commission-max').value = '';
  commissionSay(t('Your commission bid of {amount} on lot {lot} is with the auctioneer', { amount: formatMoney(max, c), lot: lotId }), 'ok');
}

async function cancelCommission(lotId) {
  const error = await absentee({ op: 'cancel_absentee', lot: lotId });
  if (error) { commissionSay(error, 'error'); return; }
  store.update((st) => {
    const next = { ...st.commissions };
    delete next[lotId];
    return { ...st, commissions: next };
  });
  commissionSay(t('Your commission bid on lot {lot} is cancelled', { lot: lotId }), 'ok');
}

function chooseCommission(lotId) {
  $('#commission-lot').value = lotId;
  $('#commission-max').focus();
  $('#commission').scrollIntoView({ block: 'nearest' });
}

function renderCommissions(s, c) {
  const open = s.lots.filter((l) => l.status === 'pending' && l.id !== s.lot?.id);
  const select = $('#commission-lot');
  const ids = open.map((l) => l.id).join('\u0000');
  if (select.dataset.ids !== `${ids}\u0000${lang()}`) {
    const chosen = select.value;
    select.replaceChildren(...open.map((l) => h('option', { value: l.id }, t('Lot {id}: {title}', { id: l.id, title: l.title }))));
    select.dataset.ids = `${ids}\u0000${lang()}`;
    if (open.some((l) => l.id === chosen)) select.value = chosen;
  }
  $('#commission-send').disabled = !open.length || s.sale?.status === 'closed';
  const mine = Object.entries(s.commissions).filter(([id]) => s.lots.some((l) => l.id === id && l.status === 'pending'));
  $('#my-commissions').replaceChildren(...mine.map(([id, max]) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, t('Lot {id}: your maximum {amount}', { id, amount: formatMoney(max, c) })),
    h('button', { type: 'button', onclick: () => cancelCommission(id) }, t('Cancel')))));
}

function renderMessages(s) {
  $('#messages-box').hidden = s.messages.length === 0;
  $('#messages').replaceChildren(...s.messages.map((m) => h('li', { class: m.paddle != null ? 'message private' : 'message' },
    h('span', { class: 'message-to' }, m.paddle != null ? t('To you') : t('To all bidders')),
    h('span', { class: 'message-text' }, messageText(m.text)),
    h('button', {
      type: 'button', class: 'close', 'aria-label': t('Dismiss this message'),
      onclick: () => store.update((st) => dismissMessage(st, m.id)),
    }, '×'))));
}

function renderRules(s) {
  const rules = rulesList(s.sale);
  $('#rules-box').hidden = !rules.length;
  $('#rules').replaceChildren(...rules.flatMap((r) => [h('dt', {}, r.term), h('dd', {}, r.text)]));
}

// ------------------------------------------------------------------ your invoice
//
// The buyer's own account (GET .../accounts/{paddle} with their token: it answers only for
// their own paddle). Loaded at start, when a lot is knocked down to them or the sale changes
// state, when the page comes back into view, and on Refresh. The invoice links open in a new
// tab: a cookie scoped to the sale's API path (documents/session) carries the token there.

const ACCOUNT_STATUS = {
  owes: (o) => t('Please pay {amount}', { amount: o }),
  part_paid: (o) => t('Part paid: {amount} still to pay', { amount: o }),
  paid: () => t('Paid in full — thank you'),
  in_credit: () => t('You are in credit with the auction house'),
  nothing: () => '',
};
const money = (minor, c) => exactMoney(minor, c, locale());
let accountKey = null;
let lastSeen = null; // the state watchAccount saw last
let accountTimer = null;

async function loadAccount() {
  const paddle = store?.get().me?.paddle;
  if (!token || !paddle) return;
  const base = `/api/sales/${encodeURIComponent(sale)}`;
  const r = await api('GET', `${base}/accounts/${encodeURIComponent(paddle)}`, { token });
  const a = r.status === 200 ? r.body : null;
  const invoices = Array.isArray(a?.invoices) ? a.invoices : [];
  const pending = (a?.proforma?.lines || []).some((l) => l.kind === 'hammer');
  $('#account').hidden = !a || (!invoices.length && !pending && !a.paid);
  if (!a) return;
  const c = a.currency || currencyOf(store.get());
  setText($('#account-due'), money(a.due, c));
  setText($('#account-paid'), money(a.paid, c));
  setText($('#account-owed'), money(Math.max(a.owed, 0), c));
  const status = $('#account-status');
  setText(status, (ACCOUNT_STATUS[a.status] || (() => ''))(money(a.owed, c)));
  setTone(status, a.status === 'paid' ? 'ok' : a.owed > 0 ? 'warn' : null);
  const doc = (n, ext, label) => h('a', { href: `${base}/invoices/${encodeURIComponent(n)}.${ext}`, target: '_blank', rel: 'noopener' }, label);
  const rows = invoices.map((inv) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, t('Invoice {number}: {amount}', { number: inv.number, amount: money(inv.totals?.total, c) })),
    doc(inv.number, 'html', t('View')), doc(inv.number, 'pdf', t('PDF'))));
  if (pending) {
    rows.push(h('li', { class: 'row muted' }, h('span', { class: 'row-main' },
      t('Not invoiced yet: {amount} (the auction house will send the invoice)', { amount: money(a.proforma.totals?.total, c) }))));
  }
  $('#account-invoices').replaceChildren(...rows);
}

function accountSoon() {
  clearTimeout(accountTimer);
  accountTimer = setTimeout(loadAccount, 300);
}

async function startAccount() {
  $('#account-refresh').addEventListener('click', loadAccount);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) accountSoon(); });
  await api('POST', `/api/sales/${encodeURIComponent(sale)}/documents/session`, { token });
}

/**
 * Reload the account when what it depends on changes: my lots knocked down, the sale's life,
 * or an event that changed no lot (the stage sends my invoices, payments and releases to my
 * private topic; the page's state keeps only their seq).
 */
function watchAccount(s) {
  if (!s.me || !token) return;
  const mine = s.lots.filter((l) => l.status === 'sold' && String(l.hammer?.paddle) === String(s.me.paddle)).length;
  const key = `${mine}|${s.me.won ?? ''}|${s.sale?.status ?? ''}`;
  const prev = lastSeen;
  lastSeen = s;
  // An event about no lot: a sale-level one (rare: pause, message, session) or one of my
  // money events (invoice, payment, release), whose data the page's state does not keep.
  const quiet = prev && s.seq !== prev.seq && s.lot === prev.lot && s.lots === prev.lots;
  if (key !== accountKey || quiet) { accountKey = key; accountSoon(); }
}

function render(s) {
  const lot = s.lot;
  const c = currencyOf(s);
  const st = bidderStatus(s);
  setText($('#sale-title'), s.sale?.title || t('Live bidding'));
  setText($('#paddle'), s.me ? t('Paddle {paddle}', { paddle: s.me.paddle }) : t('Watching'));
  setImage($('#lot-image'), lot?.images?.[0], lot ? lot.title : '');
  setText($('#lot-number'), lot ? t('Lot {id}', { id: lot.id }) : '');
  setText($('#lot-title'), lot ? lot.title : t('Waiting for the sale to begin'));
  setText($('#lot-estimate'), lot ? estimateText(lot, c) : '');
  setText($('#lot-description'), lot?.description || '');
  renderNotices($('#notices'), lot);
  setText($('#lot-facts'), lotFacts(lot));
  // The premium the buyer will pay on this lot: its own bands, else the sale's schedule.
  const premium = premiumText(Array.isArray(lot?.premium) ? lot.premium : s.sale?.rules?.buyer_premium, c);
  setText($('#lot-premium'), lot && premium.length ? t("Buyer's premium: {rates}", { rates: premium.join('; ') }) : '');
  const condition = typeof lot?.condition === 'string' ? lot.condition.trim() : '';
  setText($('#condition'), condition);
  $('#condition-box').hidden = !condition;
  renderLife($('#life'), s.sale);
  renderFlash($('#flash'), s.flash);
  renderMessages(s);
  renderRules(s);
  setText($('#high-note'), houseNote(lot));

  const live = lot && LIVE.includes(lot.status);
  let current = '—';
  if (lot?.status === 'sold' && lot.hammer) current = formatMoney(lot.hammer.amount, c);
  else if (lot?.high) current = formatMoney(lot.high.amount, c);
  else if (lot) current = t('No bids yet');
  setText($('#current'), current);
  setText($('#ask'), live ? formatMoney(lot.ask, c) : '—');

  const status = $('#status');
  setText(status, st.text);
  setTone(status, st.tone);
  document.body.dataset.lotStatus = lot?.status || 'none';

  const button = $('#bid');
  button.disabled = sending || !online || !st.canBid;
  setText(button, sending ? t('Sending…') : live && lot.ask ? t('Bid {amount}', { amount: formatMoney(lot.ask, c) }) : t('Bid'));
  let reason = st.canBid || sending ? '' : st.reason;
  if (!online && !sending) reason = t('Reconnecting… You can bid again once the connection is back.');
  setText($('#bid-reason'), reason);
  const notice = $('#notice');
  setText(notice, st.notice);
  notice.hidden = !st.notice;

  const list = $('#upcoming');
  const canLeave = !!s.me && s.sale?.status !== 'closed';
  const items = upcoming(s, 6).map((l) => h('li', {},
    h('span', { class: 'lot-no' }, t('Lot {id}', { id: l.id })), ' ',
    h('span', { class: 'lot-name' }, l.title), ' ',
    h('span', { class: 'muted' }, estimateText(l, c)),
    ...(l.notices || []).map((n) => h('span', { class: 'lot-notice' }, h('strong', {}, t('Saleroom notice:')), ' ', n)),
    s.commissions[l.id] != null
      ? h('span', { class: 'lot-commission' }, t('Your commission bid: {amount}', { amount: formatMoney(s.commissions[l.id], c) }))
      : canLeave ? h('button', { type: 'button', class: 'link', onclick: () => chooseCommission(l.id) }, t('Leave a commission bid')) : null));
  list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, t('No more lots'))]));
  if (s.me) renderCommissions(s, c);
  watchAccount(s);
}

/** A typed amount in the page's language ("1.200,50" in German) as parseAmount reads it. */
function localAmount(text) {
  const parts = new Intl.NumberFormat(locale()).formatToParts(1000.5);
  const group = parts.find((p) => p.type === 'group')?.value || ',';
  const decimal = parts.find((p) => p.type === 'decimal')?.value || '.';
  if (decimal === '.') return text;
  return text.split(group).join('').split(/\s/).join('').replace(decimal, '.');
}

main();
