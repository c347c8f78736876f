// The cashier's desk: /cashier#token=JWT (a staff token), or pair with the stage's PIN.
//
// Keyed by paddle: type it and press Enter. Shows the buyer's lots, invoices, payments and
// what they owe (GET /api/sales/{sale}/accounts/{paddle}), records payments (a new key per
// attempt, so a retry of the same attempt counts once), issues invoices, releases lots for
// collection, and opens the printable documents in a new tab. Follows the staff topic: any
// money event for the open buyer reloads their account, so two desks agree.

import { exactMoney } from './money.js';
import { locale, t } from './i18n.js';
import { startLanguage } from './staff.js';
import { connect } from './connection.js';
import {
  $, api, h, minorDigits, newKey, pairDesk, parseAmount, SALE_IRI, setText, setTone, showConnection,
  topicsOf,
} from './ui.js';

// Words that follow the language: functions, called when shown.
const STATUS = () => ({
  nothing: t('Nothing to pay'), owes: t('Owes'), part_paid: t('Part paid'), paid: t('Paid'), in_credit: t('In credit'),
});
const METHOD = () => ({ cash: t('Cash'), card: t('Card'), transfer: t('Transfer'), cheque: t('Cheque'), other: t('Other') });
// Events after which the open account (or the list of buyers) may read differently.
const MONEY_EVENTS = new Set([
  'invoice_issued', 'credit_note_issued', 'payment_recorded', 'refund_recorded', 'lots_released',
  'lot_sold', 'lot_reknocked', 'lot_sale_cancelled', 'subject_to_resolved', 'bidder_registered',
]);
const REASONS = () => ({
  unknown_bidder: t('No bidder with that paddle in this sale'),
  too_much: t('That is more than the buyer owes'),
  third_party: t('A payment by someone else needs the payer and a reason'),
  unpaid: t('The buyer still owes money: pay first, or give a reason to release anyway'),
  not_invoiced: t('Those lots are not on an invoice yet: issue the invoice first'),
  nothing_to_invoice: t('Nothing to invoice: every lot this buyer won is invoiced'),
  forbidden: t('This desk may not do that (staff only)'),
  rate_limited: t('Too many attempts at once: wait a moment'),
});

let sale = 'demo';
let token = null;
let forget = () => {};
let account = null; // the open buyer's AccountDoc
let paddle = ''; // the open paddle
let loadSeq = 0; // drops answers that arrive after the cashier opened another buyer
let payKey = null; // the idempotency key of the payment being attempted
let prefilled = ''; // what the page put in the amount field (the amount owed)
let refreshTimer = null;
let listTimer = null;

const path = (p) => `/api/sales/${encodeURIComponent(sale)}${p}`;
const formatMoney = (minor, currency) => exactMoney(minor, currency, locale());
const money = (minor) => formatMoney(minor, account?.currency || 'EUR');
const lotList = (lots) => lots.join(', ');

function say(text, tone) {
  const el = $('#result');
  setText(el, text);
  setTone(el, tone);
}

function problemText(r) {
  if (r.status === 0) return t('No answer from the stage: check the network and try again');
  if (r.status === 401) { forget(r); return t('Pairing expired'); }
  const reason = r.body?.reason;
  return REASONS()[reason] || r.body?.detail || t('Refused ({status})', { status: reason || r.status });
}

// ------------------------------------------------------------------ loading

async function loadAccount(which, { quiet = false } = {}) {
  // An open by the cashier supersedes every load before it; a quiet refresh supersedes none.
  const mine = quiet ? loadSeq : ++loadSeq;
  const r = await api('GET', path(`/accounts/${encodeURIComponent(which)}`), { token });
  if (mine !== loadSeq) return false;
  if (r.status !== 200 || !r.body) {
    if (!quiet) say(problemText(r), 'error');
    return false;
  }
  const changed = paddle !== which;
  account = r.body;
  paddle = which;
  if (changed) {
    payKey = null;
    $('#pay-amount').value = '';
    prefilled = '';
    $('#pay-reference').value = '';
    $('#pay-payer').value = '';
    $('#pay-why').value = '';
    $('#override').value = '';
    $('#override-box').open = false;
    $('#third-party').open = false;
  }
  renderAccount();
  return true;
}

async function loadBuyers() {
  const r = await api('GET', path('/accounts'), { token });
  if (r.status !== 200 || !Array.isArray(r.body?.accounts)) return;
  $('#buyers').replaceChildren(...r.body.accounts.map((b) => h('li', { class: 'row' },
    h('button', {
      type: 'button', class: `buyer${b.paddle === paddle ? ' current' : ''}`, dataset: { paddle: b.paddle },
      onclick: () => open(b.paddle),
    },
    h('span', { class: 'buyer-paddle' }, b.paddle),
    h('span', { class: 'buyer-name' }, b.name || ''),
    h('span', { class: `buyer-owed status-${b.status}` }, b.owed > 0 ? formatMoney(b.owed, account?.currency || 'EUR') : STATUS()[b.status] || b.status)))));
  if (!r.body.accounts.length) $('#buyers').replaceChildren(h('li', { class: 'muted empty' }, t('No buyers yet')));
}

async function open(which) {
  which = String(which || '').trim();
  if (!which) { say(t('Type a paddle number'), 'error'); $('#paddle').focus(); return; }
  $('#paddle').value = which;
  say('', null);
  if (await loadAccount(which)) {
    loadBuyers();
    $('#pay-amount').focus();
  } else {
    $('#paddle').select();
  }
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { if (paddle) loadAccount(paddle, { quiet: true }); }, 120);
  clearTimeout(listTimer);
  listTimer = setTimeout(loadBuyers, 400);
}

// ------------------------------------------------------------------ rendering

function plainAmount(minor) {
  const digits = minorDigits(account?.currency || 'EUR');
  const whole = Math.trunc(minor / 10 ** digits);
  const frac = minor % 10 ** digits;
  return digits && frac ? `${whole}.${String(frac).padStart(digits, '0')}` : String(whole);
}

function docLink(kind, number, ext, label) {
  const segment = kind === 'credit_note' ? 'credit-notes' : kind === 'receipt' ? 'receipts' : 'invoices';
  return h('a', { href: path(`/${segment}/${encodeURIComponent(number)}.${ext}`), target: '_blank', rel: 'noopener' }, label);
}

function lotRows(a) {
  const credited = new Set();
  for (const cn of a.credit_notes || []) for (const l of cn.lines || []) credited.add(`${cn.refers_to}|${l.lot}`);
  const released = new Set(a.released || []);
  const releasable = new Set(a.releasable || []);
  const rows = [];
  const add = (doc, number) => {
    for (const line of doc.lines || []) {
      if (line.kind !== 'hammer') continue;
      const gone = number && credited.has(`${number}|${line.lot}`);
      let collection = '—';
      if (released.has(line.lot)) collection = t('Released');
      else if (releasable.has(line.lot)) collection = t('Ready');
      else if (!gone && number) collection = t('Awaiting payment');
      rows.push(h('tr', { class: gone ? 'void' : '' },
        h('td', {}, line.lot), h('td', { class: 'title' }, line.title || ''),
        h('td', { class: 'num' }, money(line.amount)),
        h('td', {}, gone ? t('{number} (credited)', { number }) : number || t('Not invoiced')),
        h('td', {}, collection)));
    }
  };
  for (const inv of a.invoices || []) add(inv, inv.number);
  if (a.proforma) add(a.proforma, null);
  return rows;
}

function renderAccount() {
  const a = account;
  if (!a) return;
  $('#account-grid').hidden = false;
  $('#totals').hidden = false;
  const name = a.buyer?.name ? ` — ${a.buyer.name}` : '';
  setText($('#account-title'), t('Paddle {paddle}', { paddle: a.paddle }) + name);
  const badge = $('#account-status');
  setText(badge, STATUS()[a.status] || a.status);
  badge.className = `badge status-${a.status}`;
  setText($('#account-address'), [a.buyer?.address, a.buyer?.country].filter(Boolean).join(', ').replace(/\n/g, ', '));
  setText($('#due'), money(a.due));
  setText($('#paid'), money(a.paid));
  setText($('#owed'), money(a.owed));
  document.body.dataset.status = a.status;

  const rows = lotRows(a);
  $('#lots').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, t('No lots bought')))]));

  const docs = [
    ...(a.invoices || []).map((d) => h('li', { class: 'row' },
      h('span', { class: 'row-main' }, `${d.number} · ${money(d.totals.total)} · `,
        d.owed > 0 ? t('owes {amount}', { amount: money(d.owed) }) : t('paid')),
      docLink('invoice', d.number, 'html', t('Print')), docLink('invoice', d.number, 'pdf', t('PDF')))),
    ...(a.credit_notes || []).map((d) => h('li', { class: 'row' },
      h('span', { class: 'row-main' }, t('{number} (credit note for {invoice})', { number: d.number, invoice: d.refers_to }) + ' · ' + money(d.totals.total)),
      docLink('credit_note', d.number, 'html', t('Print')), docLink('credit_note', d.number, 'pdf', t('PDF')))),
  ];
  if (a.proforma && (a.proforma.lines || []).length) {
    docs.push(h('li', { class: 'row muted' }, h('span', { class: 'row-main' }, t('Not invoiced yet: {amount}', { amount: money(a.proforma.totals.total) }))));
  }
  $('#docs').replaceChildren(...(docs.length ? docs : [h('li', { class: 'muted empty' }, t('None yet'))]));

  const pays = (a.payments || []).map((p) => h('li', { class: 'row' },
    h('span', { class: 'row-main' },
      `${p.kind === 'refund' ? t('Refund {id}', { id: p.id }) : t('Payment {id}', { id: p.id })} · ${METHOD()[p.method] || p.method} · ${money(p.amount)}`,
      p.reference ? ` · ${p.reference}` : '', p.payer ? ' · ' + t('paid by {payer}', { payer: p.payer }) : '', p.by ? ` · ${p.by}` : ''),
    p.kind === 'payment' ? docLink('receipt', p.id, 'html', t('Receipt')) : null));
  $('#payments').replaceChildren(...(pays.length ? pays : [h('li', { class: 'muted empty' }, t('No payments yet'))]));

  const uninvoiced = (a.proforma?.lines || []).some((l) => l.kind === 'hammer');
  $('#issue').disabled = !uninvoiced;
  setText($('#issue'), uninvoiced ? t('Issue invoice') : t('Everything is invoiced'));
  $('#pay').disabled = false;

  const ready = a.releasable || [];
  const invoicedLots = new Set((a.invoices || []).flatMap((d) => (d.lines || []).filter((l) => l.kind === 'hammer').map((l) => l.lot)));
  const waiting = [...invoicedLots].filter((l) => !(a.released || []).includes(l));
  const unpaid = a.owed > 0;
  const overriding = unpaid && waiting.length > 0;
  $('#override-box').hidden = !overriding;
  setText($('#releasable'), ready.length ? t('Ready for collection: lot {lots}', { lots: lotList(ready) })
    : overriding ? t('Held until paid: lot {lots}', { lots: lotList(waiting) }) : t('Nothing to release'));
  const open = $('#override-box').open;
  $('#release').disabled = !(ready.length || (overriding && open));
  setText($('#release'), ready.length ? (ready.length === 1 ? t('Release the lot') : t('Release {n} lots', { n: ready.length }))
    : overriding && open ? t('Release unpaid lots') : t('Release lots'));

  // The amount field follows what is owed until someone types in it.
  const field = $('#pay-amount');
  const want = a.owed > 0 ? plainAmount(a.owed) : '';
  // A field the cashier cleared or typed in stays theirs: a live refresh never refills it.
  if (field.value === prefilled && field.value !== want) field.value = want;
  prefilled = want;
}

// ------------------------------------------------------------------ actions

async function issueInvoice() {
  if (!paddle) return;
  $('#issue').disabled = true;
  const r = await api('POST', path('/invoices'), { body: { paddle }, token });
  if (r.status === 200) {
    const number = (r.body.events || []).find((e) => e.type === 'invoice_issued')?.data?.number;
    say(number ? t('Invoice {number} issued', { number }) : t('Invoice issued'), 'ok');
    if (r.body.account) { account = r.body.account; renderAccount(); }
    loadBuyers();
  } else {
    say(problemText(r), 'error');
    renderAccount();
  }
}

async function issueAll() {
  const r = await api('POST', path('/invoices'), { body: { all: true }, token });
  if (r.status === 200) {
    const n = (r.body.numbers || []).length;
    say(n === 1 ? t('1 invoice issued') : n ? t('{n} invoices issued', { n }) : t('Nothing left to invoice'), 'ok');
    refreshSoon();
  } else {
    say(problemText(r), 'error');
  }
}

async function recordPayment() {
  if (!paddle || !account) { say(t('Open a buyer first'), 'error'); $('#paddle').focus(); return; }
  const typed = $('#pay-amount').value.trim();
  const amount = typed.startsWith('-') ? null : parseAmount(typed, minorDigits(account.currency));
  if (amount == null || amount <= 0 || !Number.isSafeInteger(amount)) {
    say(t('Type the amount paid, e.g. 1,250.00'), 'error');
    $('#pay-amount').focus();
    return;
  }
  const body = {
    amount, method: $('#pay-method').value, reference: $('#pay-reference').value.trim(),
  };
  const payer = $('#pay-payer').value.trim();
  const why = $('#pay-why').value.trim();
  if (payer || why) {
    if (!payer || !why) { say(t('A payment by someone else needs the payer and a reason'), 'error'); $('#third-party').open = true; (payer ? $('#pay-why') : $('#pay-payer')).focus(); return; }
    body.payer = payer;
    body.third_party_reason = why;
  }
  // One key per attempt: a retry after a lost answer reuses it, so it is counted once.
  const sig = JSON.stringify([paddle, body]);
  if (!payKey || payKey.sig !== sig) payKey = { sig, key: newKey() };
  body.key = payKey.key;
  $('#pay').disabled = true;
  setText($('#pay'), t('Recording…'));
  const r = await api('POST', path(`/accounts/${encodeURIComponent(paddle)}/payments`), { body, token });
  setText($('#pay'), t('Record payment'));
  $('#pay').disabled = false;
  if (r.status === 200) {
    payKey = null;
    const id = (r.body.events || []).find((e) => e.type === 'payment_recorded')?.data?.id;
    say(id ? t('Payment of {amount} recorded ({id})', { amount: money(amount), id }) : t('Payment of {amount} recorded', { amount: money(amount) }), 'ok');
    $('#pay-amount').value = '';
    prefilled = ''; // the page may fill in what is still owed again
    $('#pay-reference').value = '';
    $('#pay-payer').value = '';
    $('#pay-why').value = '';
    $('#third-party').open = false;
    if (r.body.account) { account = r.body.account; renderAccount(); }
    loadBuyers();
  } else {
    if (r.status !== 0) payKey = null; // refused: a corrected attempt is a new one
    say(problemText(r), 'error');
  }
}

async function releaseLots() {
  if (!paddle || !account) return;
  const body = { lots: [] };
  const why = $('#override').value.trim();
  if (account.owed > 0) {
    if (!why) { say(t('The buyer still owes money: type a reason to release anyway'), 'error'); $('#override').focus(); return; }
    body.override_reason = why;
  }
  $('#release').disabled = true;
  const r = await api('POST', path(`/accounts/${encodeURIComponent(paddle)}/release`), { body, token });
  if (r.status === 200) {
    const lots = (r.body.events || []).find((e) => e.type === 'lots_released')?.data?.lots || [];
    say(lots.length ? t('Released for collection: lot {lots}', { lots: lotList(lots) }) : t('Released'), 'ok');
    if (r.body.account) { account = r.body.account; renderAccount(); }
  } else {
    say(problemText(r), 'error');
    renderAccount();
  }
}

// A consignor's private link (their live view of their own lots), with its QR code shown as an
// image (the SVG never enters this page's DOM as markup).
async function consignorLink() {
  const ref = $('#consignor-ref').value.trim();
  const out = $('#consignor-result');
  $('#consignor-out').hidden = true;
  if (!ref) { setText(out, t('Type the consignor reference on the lots, e.g. C-1001')); $('#consignor-ref').focus(); return; }
  const r = await api('POST', path(`/consignors/${encodeURIComponent(ref)}/link`), { body: {}, token });
  if (r.status !== 200 || !r.body?.link) {
    setText(out, r.body?.reason === 'unknown_consignor' ? t('No consignor {ref} in this sale', { ref }) : problemText(r));
    return;
  }
  setText(out, t('Link for {ref} (valid 30 days): give it to the consignor only', { ref }));
  $('#consignor-link').value = r.body.link;
  if (String(r.body.qr_uri || '').startsWith('data:image/svg+xml')) $('#consignor-qr').src = r.body.qr_uri;
  $('#consignor-out').hidden = false;
  $('#consignor-link').select();
}

// ------------------------------------------------------------------ start

function onEvent(ev) {
  if (!ev || !MONEY_EVENTS.has(ev.type)) return;
  const d = ev.data || {};
  const who = [d.paddle, ev.lot?.hammer?.paddle, d.bidder?.paddle].map((x) => (x == null ? null : String(x)));
  if (paddle && who.includes(paddle)) refreshSoon();
  else { clearTimeout(listTimer); listTimer = setTimeout(loadBuyers, 400); }
}

async function start(session, staffToken) {
  token = staffToken;
  sale = session.sale || sale;
  $('#pair').hidden = true;
  $('#desk').hidden = false;
  whoText = () => session.name || (session.role === 'auctioneer' ? t('Auctioneer') : t('Cashier desk'));
  setText($('#who'), whoText());
  const snap = await api('GET', path('/state'), { token });
  if (snap.status === 200 && snap.body?.sale?.title) saleTitle = snap.body.sale.title;
  setText($('#sale-title'), titleText());
  // Documents open in a new tab, which cannot send the token: a cookie scoped to this sale's
  // API path carries it for document GETs only.
  await api('POST', path('/documents/session'), { token });
  const staff = topicsOf(session, []).filter((t) => t.endsWith('/staff'));
  connect({
    hub: session.hub || '/.well-known/mercure',
    topics: staff.length ? staff : [`${SALE_IRI(sale)}/staff`],
    onEvent,
    onOpen: (reconnected) => { if (reconnected) refreshSoon(); },
    onStatus: (st) => showConnection($('#banner'), st),
  });
  loadBuyers();
  const wanted = new URLSearchParams(location.search).get('paddle');
  if (wanted) open(wanted);
  else $('#paddle').focus();
}

let whoText = () => '';
let saleTitle = '';
const titleText = () => (saleTitle ? t('Cashier — {sale}', { sale: saleTitle }) : t('Cashier'));

/** After a change of language: what the script wrote, again. */
function relabel() {
  setText($('#sale-title'), titleText());
  setText($('#who'), whoText());
  if (account) renderAccount();
  if (paddle || account) loadBuyers();
}

async function main() {
  await startLanguage(relabel);
  $('#paddle-form').addEventListener('submit', (e) => { e.preventDefault(); open($('#paddle').value); });
  $('#pay-form').addEventListener('submit', (e) => { e.preventDefault(); recordPayment(); });
  $('#release-form').addEventListener('submit', (e) => { e.preventDefault(); releaseLots(); });
  $('#issue').addEventListener('click', issueInvoice);
  $('#override-box').addEventListener('toggle', () => { if (account) renderAccount(); });
  $('#issue-all').addEventListener('click', issueAll);
  $('#consignor-form').addEventListener('submit', (e) => { e.preventDefault(); consignorLink(); });
  document.addEventListener('keydown', (e) => {
    const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement?.tagName);
    if (e.key === '/' && !typing) { e.preventDefault(); $('#paddle').select(); }
    if (e.key === 'Escape' && typing) document.activeElement.blur();
  });
  forget = pairDesk({ place: 'desk', onSession: start });
}

main();
