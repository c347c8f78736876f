// The clerk terminal: /clerk (pair with the PIN, or /clerk#token=JWT). Keyboard first.

import {
  applyEvent, applySnapshot, currencyOf, dismissFlash, estimateText, formatMoney, HOUSE_BID,
  initialState, lateBids, LIVE, nextPendingLot, pendingBids, reasonText,
} from './state.js';
import { renderFlash, renderLife, renderNotices } from './saleday.js';
import { createStore, sync } from './connection.js';
import {
  $, api, h, minorDigits, newKey, parseAmount, SALE_IRI, setText, setTone, showConnection, pairDesk, topicsOf,
} from './ui.js';
import { locale, t } from './i18n.js';
import { startLanguage } from './staff.js';

let token = null;
let forget = () => {}; // set by pairDesk: drops a token the stage no longer accepts
let sale = 'demo';
let store = null;
let busy = false;

// Why the stage refused a command, in words (a function: the words follow the language).
const COMMAND_REASONS = () => ({
  lot_open: t('Another lot is still on the block — hammer or pass it first'),
  lot_not_pending: t('That lot has already been offered'),
  lot_not_open: t('The lot is not open'),
  lot_not_closed: t('The lot is not closed'),
  reopen_too_late: t('Too late to reopen: a later lot has opened and the window has passed'),
  no_bid: t('There is no bid to retract'),
  no_pending: t('That online bid is no longer waiting'),
  no_late_bid: t('There is no late bid to decide'),
  tie_policy: t('Set to floor needs the floor-priority tie rule'),
  no_online_high: t('The high bid is not an online bid'),
  not_paused: t('The sale is not paused'),
  below_high: t('The ask must be above the current bid'),
  unknown_bidder: t('That paddle is not registered'),
  invalid: t('Not understood'),
  sale_not_live: t('The sale is not live yet — go live first'),
  sale_closed: t('The sale is closed'),
});

const money = (minor, c) => formatMoney(minor, c, locale());

function say(text, tone = 'info') {
  const el = $('#result');
  setText(el, text);
  setTone(el, tone);
}

function lotId() { return store.get().lot?.id; }

/** Send `cmd`; `done` is what to say when it is taken: text, or [text, tone] from the answer's
 * events (a hammer says whether it sold or passed). */
async function command(cmd, done) {
  if (busy) return;
  busy = true;
  const r = await api('POST', `/api/sales/${encodeURIComponent(sale)}/commands`, { body: cmd, token });
  busy = false;
  const b = r.body || {};
  if (r.status === 200) {
    // Apply the answer's events only when they follow on directly: the stream brings the rest.
    for (const ev of b.events || []) {
      store.update((s) => (s.seq !== null && ev.seq === s.seq + 1 && ev.epoch === s.epoch ? applyEvent(s, ev) : s));
    }
    const [text, tone] = typeof done === 'function' ? done(b.events || []) : [done, 'ok'];
    say(text, tone);
    return true;
  }
  if (r.status === 401) { forget(r); return false; }
  if (b.state && typeof b.state === 'object' && 'seq' in b.state) store.update((s) => applySnapshot(s, b.state));
  const c = currencyOf(store.get());
  const reasons = COMMAND_REASONS();
  const text = r.status === 0 ? t('No answer from the stage — check the connection and try again')
    : reasons[b.reason] && b.reason !== 'invalid' ? reasons[b.reason]
      : b.reason && !b.detail ? reasonText(b.reason, cmd.amount, c, store.get().lot)
        : b.detail || b.title || t('Refused ({status})', { status: r.status });
  say(text, 'error');
  return false;
}

// ------------------------------------------------------------------ actions

function floorBid() {
  const s = store.get();
  if (!s.lot || !LIVE.includes(s.lot.status)) { say(t('No lot is open'), 'error'); return; }
  const paddle = $('#paddle').value.trim();
  const typed = $('#amount').value.trim();
  const c = currencyOf(s);
  const amount = typed ? parseAmount(typed, minorDigits(c)) : s.lot.ask;
  if (amount == null) { say(t('The amount is not a number'), 'error'); $('#amount').focus(); return; }
  // No channel: the engine records a phone paddle's bid as a phone bid, any other as floor.
  const cmd = { op: 'floor_bid', lot: s.lot.id, amount, seen_seq: s.seq, key: newKey() };
  if (paddle) cmd.paddle = paddle;
  const done = paddle ? t('{amount} to paddle {paddle}', { amount: money(amount, c), paddle })
    : t('{amount} to the room', { amount: money(amount, c) });
  command(cmd, done).then((ok) => {
    if (ok) { $('#paddle').value = ''; $('#amount').value = ''; }
    $('#paddle').focus();
  });
}

function ask(label, initial = '') {
  const dialog = $('#ask-dialog');
  setText($('#ask-label'), label);
  const input = $('#ask-input');
  input.value = initial;
  dialog.returnValue = '';
  dialog.showModal();
  input.select();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok' ? input.value.trim() : null);
      $('#paddle').focus();
    }, { once: true });
  });
}

// ------------------------------------------------------------------ keys from the registry
//
// GET /api/commands is the command registry (hub/auction/commands.py): every binding is one
// action with one key, the same as on the auctioneer's console. The toolbar, the key map and
// the help are built from it; only the state-specific actions below are written out.

let keysLoaded = null; // Promise<boolean>: the registry is in and the page is built from it
let bindings = [];
let byAction = {};
let opFields = {}; // op -> its field names
let keymap = new Map(); // KeyboardEvent.key (letters lower-cased) -> binding
let quickMessages = []; // the registry's quick messages, if it offers them

// Qt's portable key names that differ from KeyboardEvent.key; letters and symbols are as is.
const QT_KEYS = {
  Space: ' ', Esc: 'Escape', Return: 'Enter', Del: 'Delete', Ins: 'Insert', PgUp: 'PageUp',
  PgDown: 'PageDown', Left: 'ArrowLeft', Right: 'ArrowRight', Up: 'ArrowUp', Down: 'ArrowDown',
};
const keyOf = (k) => (k.length === 1 ? k.toLowerCase() : k);
const eventKey = (qtKey) => keyOf(QT_KEYS[qtKey] ?? qtKey);

// What a prompt asks, and what it offers.
const PROMPTS = () => ({ reason: t('reason (journaled)'), message: t('message for the bidders'), amount: t('new amount') });
const SUGGESTED = () => ({
  reinstate: t('retracted in error'), withdraw: t('withdrawn by the vendor'), pause: t('Short break, back shortly'),
});
// Bindings the page already has a place for; the rest get a toolbar button.
const PLACED = { floor_bid: '#floor-bid', help: '#help-open' };
const TONE = { hammer: 'danger', next_lot: 'primary' };

// The registry's words (labels, help, groups) are English msgids in the staff catalogue.
const label = (b) => t(b.label);
const buttonText = (b) => (b.prompt ? t('{action}…', { action: label(b) }) : label(b)); // …: it asks first

async function loadCommands() {
  const r = await api('GET', '/api/commands');
  if (r.status !== 200 || !Array.isArray(r.body?.bindings)) return false;
  opFields = Object.fromEntries((r.body.commands || []).map((c) => [c.op, c.fields.map((f) => f.name)]));
  bindings = r.body.bindings;
  quickMessages = (Array.isArray(r.body.quick_messages) ? r.body.quick_messages : [])
    .map((q) => (typeof q === 'string' ? q : q?.text)).filter((q) => typeof q === 'string' && q);
  byAction = Object.fromEntries(bindings.map((b) => [b.action, b]));
  keymap = new Map(bindings.map((b) => [eventKey(b.key), b]));
  buildButtons();
  buildHelp();
  return true;
}

function buildButtons() {
  const bar = $('#actions');
  bar.replaceChildren();
  for (const b of bindings) {
    let button = PLACED[b.action] && $(PLACED[b.action]);
    if (button) {
      setText($('kbd', button), b.key);
    } else {
      button = h('button', {
        type: 'button', class: TONE[b.action],
        onmousedown: (e) => e.preventDefault(), // keep the focus in the paddle field
        onclick: () => run(b),
      }, h('kbd', {}, b.key), ' ', h('span', { class: 'label' }, buttonText(b)));
      bar.append(button);
    }
    button.dataset.action = b.action;
    button.setAttribute('aria-keyshortcuts', b.key);
    button.title = t(b.help);
  }
}

function buildHelp() {
  const row = (keys, text) => h('tr', {}, h('td', {}, ...keys.flatMap((k, i) => [i ? ' ' : '', h('kbd', {}, k)])),
    h('td', {}, text));
  const table = (caption, rows) => h('table', { class: 'keys' }, h('caption', {}, caption), h('tbody', {}, ...rows));
  const entry = [row(['0-9', 'Enter'], t('Bid the ask for that paddle (empty: a room bid)'))];
  if (!keymap.has('a')) entry.push(row(['A'], t('Type an amount instead of the ask')));
  entry.push(row(['Esc'], t('Clear the fields, close this help')));
  const groups = new Map();
  for (const b of bindings) groups.set(b.group, [...(groups.get(b.group) || []), row([b.key], t(b.help))]);
  $('#help-keys').replaceChildren(table(t('Entry'), entry), ...[...groups].map(([g, rows]) => table(t(g), rows)));
}

/** The binding's op on the current lot with its preset fields (null, with a notice, if no lot). */
function baseCommand(b) {
  const fields = opFields[b.op] || [];
  const cmd = { op: b.op, ...b.preset };
  if (fields.includes('lot')) {
    if (!lotId()) { say(t('No lot is on the block'), 'error'); return null; }
    cmd.lot = lotId();
  }
  if (fields.includes('source')) cmd.source = 'clerk';
  const paddle = $('#paddle').value.trim();
  if (fields.includes('paddle') && paddle) cmd.paddle = paddle;
  return cmd;
}

/** Ask what the binding's prompt names and put it in `cmd`; false if cancelled. */
async function prompted(b, cmd, suggestion = SUGGESTED()[b.action] || '') {
  const s = store.get();
  const c = currencyOf(s);
  const now = b.prompt === 'amount' && s.lot ? ' ' + t('(ask now {amount})', { amount: money(s.lot.ask, c) }) : '';
  const where = cmd.lot ? ' · ' + t('lot {lot}', { lot: cmd.lot }) : '';
  const text = await ask(`${label(b)}${where} — ${PROMPTS()[b.prompt] || b.prompt}${now}`, suggestion);
  if (!text) return false;
  if (b.prompt !== 'amount') { cmd[b.prompt] = text; return true; }
  const amount = parseAmount(text, minorDigits(c));
  if (amount == null) { say(t('The amount is not a number'), 'error'); return false; }
  cmd.amount = amount;
  return true;
}

/** Any binding: its op with its preset, asking first if it has a prompt. */
async function generic(b) {
  const cmd = baseCommand(b);
  if (!cmd || (b.prompt && !(await prompted(b, cmd)))) return;
  const ok = await command(cmd, t('{action}: done', { action: label(b) }));
  if (ok && cmd.paddle) $('#paddle').value = '';
}

/** The message dialog: to everyone or one paddle, a quick message or free text. */
function askMessage(paddle) {
  const dialog = $('#message-dialog');
  const text = $('#message-text');
  $('#message-paddle').value = paddle;
  text.value = '';
  $('#quick').replaceChildren(...quickMessages.map((q) => h('button', {
    type: 'button', class: 'quick-message', onclick: () => { text.value = q; text.focus(); },
  }, q)));
  $('#quick').hidden = quickMessages.length === 0;
  dialog.returnValue = '';
  dialog.showModal();
  text.focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok' && text.value.trim();
      resolve(ok ? { text: text.value.trim(), paddle: $('#message-paddle').value.trim() } : null);
      $('#paddle').focus();
    }, { once: true });
  });
}

async function message(b) {
  const typed = $('#paddle').value.trim();
  const m = await askMessage(typed);
  if (!m) return;
  const cmd = { op: b.op, text: m.text };
  if (m.paddle) cmd.paddle = m.paddle;
  const ok = await command(cmd, m.paddle ? t('Message sent to paddle {paddle}', { paddle: m.paddle }) : t('Message sent to every bidder'));
  if (ok && typed) $('#paddle').value = '';
}

function oldestLate() { return lateBids(store.get())[0] || null; }

// The actions that depend on the state. Row buttons pass the bid they stand for.
const SPECIAL = {
  floor_bid: floorBid,
  message,
  help: () => $('#help').showModal(),
  next_lot() {
    const next = nextPendingLot(store.get());
    if (!next) { say(t('There are no more lots'), 'error'); return; }
    command({ op: 'open_lot', lot: next.id }, t('Lot {lot} is open', { lot: next.id }));
  },
  pause(b) {
    if (store.get().sale?.paused) command({ op: 'resume' }, t('Resumed'));
    else generic(b);
  },
  hammer(b) {
    const cmd = baseCommand(b);
    if (!cmd) return;
    const before = store.get();
    command(cmd, (events) => hammerSaid(events, before));
  },
  accept_online(b, id = null) {
    const p = id || pendingBids(store.get())[0]?.id;
    if (!p) { say(t('No online bid is waiting'), 'error'); return; }
    command({ op: b.op, lot: lotId(), pending: p }, t('Online bid accepted'));
  },
  reject_online(b, id = null) {
    const p = id || pendingBids(store.get())[0]?.id;
    if (!p) { say(t('No online bid is waiting'), 'error'); return; }
    command({ op: b.op, lot: lotId(), pending: p, reason: 'rejected' }, t('Online bid rejected'));
  },
  async reopen(b, late = oldestLate()) {
    const cmd = { op: b.op, lot: late?.lot || lotId() };
    if (!cmd.lot) { say(t('No lot to reopen'), 'error'); return; }
    if (late) cmd.late = late.id;
    if (await prompted(b, cmd, late ? t('late bid') : '')) command(cmd, t('Lot {lot} reopened', { lot: cmd.lot }));
  },
  leave_sold(b, late = oldestLate()) {
    const cmd = { op: b.op, lot: late?.lot || lotId() };
    if (late) cmd.late = late.id;
    command(cmd, t('Left sold'));
  },
};

// ------------------------------------------------------------------ the hammer's outcome
//
// A hammer below the reserve passes the lot (or sells it "subject to" the vendor, if the sale
// says so): the page says which before the key is pressed, and what happened after, never
// "sold" in green for a lot that was passed.

/** What a hammer would do to the lot now: 'sold', 'subject_to' or 'passed' (null: no live lot). */
function hammerOutcome(s) {
  const lot = s.lot;
  if (!lot || !LIVE.includes(lot.status)) return null;
  if (!lot.high) return 'passed';
  if (lot.reserve == null || lot.reserve_met) return 'sold';
  return s.sale?.rules?.subject_to ? 'subject_to' : 'passed';
}

/** The hammer's result in words, from the answer's events (else what it was bound to do). */
function hammerSaid(events, before) {
  const c = currencyOf(before);
  const lot = before.lot?.id;
  const sold = events.find((e) => e.type === 'lot_sold');
  const passed = events.find((e) => e.type === 'lot_passed');
  const outcome = sold ? (sold.lot?.hammer?.subject_to ? 'subject_to' : 'sold') : passed ? 'passed' : hammerOutcome(before);
  const high = sold?.lot?.hammer || before.lot?.high;
  const amount = high?.amount != null ? money(high.amount, c) : '';
  if (outcome === 'passed') return [t('Lot {lot} passed: not sold', { lot }), 'closed'];
  if (outcome === 'subject_to') {
    return [t('Lot {lot} sold subject to the vendor\'s acceptance at {amount}', { lot, amount }), 'warn'];
  }
  return [high?.paddle != null ? t('Lot {lot} sold for {amount} to paddle {paddle}', { lot, amount, paddle: high.paddle })
    : t('Lot {lot} sold for {amount}', { lot, amount }), 'ok'];
}

/** The Hammer button warns while a hammer would not sell the lot outright. */
function renderHammer(s) {
  const button = $('#actions [data-action="hammer"]');
  if (!button) return;
  const outcome = hammerOutcome(s);
  const warn = outcome === 'passed' ? (s.lot.high ? t('Reserve not met: the hammer passes the lot') : t('No bid: the hammer passes the lot'))
    : outcome === 'subject_to' ? t('Reserve not met: the hammer sells subject to the vendor') : '';
  let note = $('.hammer-warning', button);
  if (!warn) { note?.remove(); button.classList.remove('hammer-warns'); return; }
  if (!note) { note = h('span', { class: 'hammer-warning' }); button.append(note); }
  setText(note, warn);
  button.classList.add('hammer-warns');
}

function run(b, ...args) {
  if (!store) return;
  const special = SPECIAL[b.action];
  if (special) special(b, ...args);
  else if (b.op) generic(b);
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || !store) return;
  if ($('#ask-dialog').open || $('#help').open || $('#message-dialog').open) return; // dialogs handle their own keys
  const target = e.target;
  if (target.id === 'pin') return;
  if (e.key === 'Escape') { $('#paddle').value = ''; $('#amount').value = ''; $('#paddle').focus(); return; }
  const k = keyOf(e.key);
  // Digits and separators are text in the paddle and amount fields; Space presses a focused button.
  if (target.tagName === 'INPUT' && /^[0-9.,]$/.test(k)) return;
  if (target.tagName === 'BUTTON' && (k === ' ' || k === 'Enter')) return;
  const b = keymap.get(k);
  if (b) { e.preventDefault(); run(b); return; }
  if (k === 'a') { e.preventDefault(); $('#amount').focus(); }
}

// ------------------------------------------------------------------ rendering

// A lot's state in the badge (lower case ids: states, not the verbs of the buttons).
const STATUS = () => ({
  pending: t('waiting'), open: t('open'), fair_warning: t('fair warning'), sold: t('sold'),
  passed: t('passed'), withdrawn: t('withdrawn'), paused: t('paused'),
});
const CHANNEL = () => ({ online: t('online'), floor: t('floor'), phone: t('phone'), absentee: t('commission bid') });
const REFUSAL = () => ({
  outbid: t('outbid'), already_high: t('already the high bidder'), too_late: t('too late'),
  lot_closed: t('lot closed'), lot_not_open: t('lot not open'), not_approved: t('not approved'),
  over_limit: t('over the credit limit'), paused: t('sale paused'), rate_limited: t('too many bids'),
  unknown_bidder: t('paddle not registered'), below_ask: t('below the ask'),
});
const channelText = (ch) => (ch ? CHANNEL()[ch] || ch : '');

function who(s, bid) {
  if (!bid) return '—';
  const b = bid.paddle != null ? s.bidders[String(bid.paddle)] : null;
  if (bid.house) return [t(HOUSE_BID), b?.name].filter(Boolean).join(' · ');
  const parts = [bid.paddle != null ? t('Paddle {paddle}', { paddle: bid.paddle }) : t('Room (no paddle)'), channelText(bid.channel)];
  if (b?.name) parts.push(b.name);
  return parts.filter(Boolean).join(' · ');
}

function ago(s, at) {
  if (typeof at !== 'number') return '';
  const secs = Math.max(0, Math.round(Date.now() / 1000 - s.skew - at));
  if (secs < 60) return t('{s} s', { s: secs });
  return secs < 3600 ? t('{m} min {s} s', { m: Math.floor(secs / 60), s: secs % 60 }) : t('over an hour');
}

// Toolbar labels that follow the state (null: the binding's own label).
const LIVE_LABELS = {
  next_lot: (s) => { const next = nextPendingLot(s); return next ? t('Next: lot {lot}', { lot: next.id }) : t('No more lots'); },
  pause: (s) => (s.sale?.paused ? t('Resume') : null),
};

function renderReserve(lot, c) {
  const el = $('#reserve');
  if (lot?.reserve == null) { setText(el, t('none')); setTone(el, null); return; }
  const met = Boolean(lot.reserve_met);
  setText(el, met ? t('{amount} (met)', { amount: money(lot.reserve, c) }) : t('{amount} (not met)', { amount: money(lot.reserve, c) }));
  setTone(el, met ? 'ok' : 'warn');
}

function render(s) {
  const lot = s.lot;
  const c = currencyOf(s);
  setText($('#sale-title'), s.sale?.title || t('Clerk terminal'));
  setText($('#lot-number'), lot ? t('Lot {lot}', { lot: lot.id }) : '');
  const badge = $('#lot-status');
  const status = s.sale?.paused ? 'paused' : lot?.status || '';
  setText(badge, STATUS()[status] || status.replace('_', ' '));
  badge.className = `badge status-${status}`;
  setText($('#lot-title'), lot ? lot.title : t('No lot on the block'));
  setText($('#lot-estimate'), lot ? estimateText(lot, c) : '');
  renderNotices($('#notices'), lot);
  renderLife($('#life'), s.sale, { seal: true });
  renderFlash($('#flash'), s.flash);
  setText($('#high'), lot?.high ? money(lot.high.amount, c) : lot?.hammer?.amount != null ? money(lot.hammer.amount, c) : '—');
  setText($('#high-who'), who(s, lot?.high || (lot?.hammer?.amount != null ? lot.hammer : null)));
  setText($('#ask'), lot && (LIVE.includes(lot.status) || lot.status === 'pending') ? money(lot.ask, c) : '—');
  setText($('#increment'), lot?.increment != null ? money(lot.increment, c) : '—');
  renderReserve(lot, c);
  setText($('#bids'), new Intl.NumberFormat(locale()).format(lot?.bids ?? 0));
  setText($('#floor-bid .label'), lot && LIVE.includes(lot.status)
    ? t('Bid {amount}', { amount: $('#amount').value.trim() ? t('amount') : money(lot.ask, c) }) : t('Bid'));
  for (const [action, text] of Object.entries(LIVE_LABELS)) {
    const el = $(`#actions [data-action="${action}"] .label`);
    if (el) setText(el, text(s) ?? buttonText(byAction[action]));
  }
  renderHammer(s);
  const paddleOf = (x) => (x.paddle != null ? t('paddle {paddle}', { paddle: x.paddle }) : t('room'));

  $('#pending').replaceChildren(...listOr(pendingBids(s).map((p) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `${money(p.amount, c)} · ${paddleOf(p)}`),
    h('span', { class: 'muted waited', dataset: { at: String(p.at) } }, t('waited {time}', { time: ago(s, p.at) })),
    h('button', { type: 'button', class: 'primary', onclick: () => run(byAction.accept_online, p.id) }, t('Accept')),
    h('button', { type: 'button', onclick: () => run(byAction.reject_online, p.id) }, t('Reject')))), t('None')));

  $('#late').replaceChildren(...listOr(lateBids(s).map((l) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, [t('Lot {lot}: {amount}', { lot: l.lot, amount: money(l.amount, c) }), paddleOf(l), channelText(l.channel)].filter(Boolean).join(' · ')),
    h('span', { class: 'muted' }, l.after != null ? t('{s} s after the hammer', { s: l.after }) : ''),
    h('button', { type: 'button', class: 'primary', onclick: () => run(byAction.reopen, l) }, t('Reopen')),
    h('button', { type: 'button', onclick: () => run(byAction.leave_sold, l) }, t('Leave sold')))), t('None')));

  $('#refused').replaceChildren(...listOr(s.refusals.slice(0, 12).map((r) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, [t('Lot {lot}: {amount}', { lot: r.lot, amount: money(r.amount, c) }), paddleOf(r), channelText(r.channel)].filter(Boolean).join(' · ')),
    h('span', { class: 'muted' }, REFUSAL()[r.reason] || String(r.reason || '').replaceAll('_', ' ')))), t('None')));

  $('#sent').replaceChildren(...listOr(s.messages.slice(0, 12).map((m) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, m.text),
    h('span', { class: 'muted' }, m.paddle != null ? t('to paddle {paddle}', { paddle: m.paddle }) : t('to everyone')))), t('None')));

  $('#history').replaceChildren(...listOr((lot?.history || []).slice().reverse().map((b) => h('li', { class: b.void ? 'row void' : 'row' },
    h('span', { class: 'row-main' }, `${money(b.amount, c)} · ${who(s, b)}`),
    h('span', { class: 'muted' }, b.void ? b.void : b.auto ? t('commission') : ''))), t('No bids yet')));
}

function listOr(items, empty) {
  return items.length ? items : [h('li', { class: 'muted empty' }, empty)];
}

function tick() {
  const s = store?.get();
  if (!s) return;
  for (const el of document.querySelectorAll('.waited')) setText(el, t('waited {time}', { time: ago(s, Number(el.dataset.at)) }));
}

// ------------------------------------------------------------------ start (pairing: ui.js pairDesk)

async function start(session, staffToken) {
  token = staffToken;
  sale = session.sale || sale;
  setText($('#who'), session.name || (ROLES()[session.role] ?? session.role));
  const staff = topicsOf(session, []).filter((t) => t.endsWith('/staff'));
  if (!(await keysLoaded) && !(await (keysLoaded = loadCommands()))) {
    $('#banner').hidden = false;
    setText($('#banner'), t('The stage did not send its command keys — reload the page'));
  }
  $('#pair').hidden = true;
  $('#desk').hidden = false;
  store = createStore(initialState());
  store.subscribe(render);
  sync({
    store, sale, token, hub: session.hub || '/.well-known/mercure', gapless: true,
    topics: staff.length ? staff : [`${SALE_IRI(sale)}/staff`],
    onStatus: (st) => showConnection($('#banner'), st),
  });
  $('#paddle').focus();
}

const ROLES = () => ({ clerk: t('Clerk'), auctioneer: t('Auctioneer'), desk: t('Desk'), admin: t('Administrator') });

/** After a change of language: the registry's words and the state's, again. */
function relabel() {
  if (bindings.length) { buildButtons(); buildHelp(); }
  if (store) render(store.get());
}

async function main() {
  await startLanguage(relabel);
  keysLoaded = loadCommands();
  document.addEventListener('keydown', onKey);
  $('#entry-form').addEventListener('submit', (e) => { e.preventDefault(); floorBid(); });
  $('#amount').addEventListener('input', () => store && render(store.get()));
  $('#help-open').addEventListener('click', () => $('#help').showModal());
  $('#flash-close').addEventListener('click', () => store?.update(dismissFlash));
  setInterval(tick, 1000);
  forget = pairDesk({ place: 'terminal', onSession: start });
}

main();
