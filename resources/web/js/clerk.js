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

let token = null;
let forget = () => {}; // set by pairDesk: drops a token the stage no longer accepts
let sale = 'demo';
let store = null;
let busy = false;

const COMMAND_REASONS = {
  lot_open: 'Another lot is still on the block — hammer or pass it first',
  lot_not_pending: 'That lot has already been offered',
  lot_not_open: 'The lot is not open',
  lot_not_closed: 'The lot is not closed',
  reopen_too_late: 'Too late to reopen: a later lot has opened and the window has passed',
  no_bid: 'There is no bid to retract',
  no_pending: 'That online bid is no longer waiting',
  no_late_bid: 'There is no late bid to decide',
  tie_policy: 'Set to floor needs the floor-priority tie rule',
  no_online_high: 'The high bid is not an online bid',
  not_paused: 'The sale is not paused',
  below_high: 'The ask must be above the current bid',
  unknown_bidder: 'That paddle is not registered',
  invalid: 'Not understood',
  sale_not_live: 'The sale is not live yet — go live first',
  sale_closed: 'The sale is closed',
};

function say(text, tone = 'info') {
  const el = $('#result');
  setText(el, text);
  setTone(el, tone);
}

function lotId() { return store.get().lot?.id; }

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
    say(done, 'ok');
    return true;
  }
  if (r.status === 401) { forget(r); return false; }
  if (b.state && typeof b.state === 'object' && 'seq' in b.state) store.update((s) => applySnapshot(s, b.state));
  const c = currencyOf(store.get());
  const text = r.status === 0 ? 'No answer from the stage — check the connection and try again'
    : COMMAND_REASONS[b.reason] && b.reason !== 'invalid' ? COMMAND_REASONS[b.reason]
      : b.reason && !b.detail ? reasonText(b.reason, cmd.amount, c, store.get().lot) : b.detail || b.title || `Refused (${r.status})`;
  say(text, 'error');
  return false;
}

// ------------------------------------------------------------------ actions

function floorBid() {
  const s = store.get();
  if (!s.lot || !LIVE.includes(s.lot.status)) { say('No lot is open', 'error'); return; }
  const paddle = $('#paddle').value.trim();
  const typed = $('#amount').value.trim();
  const c = currencyOf(s);
  const amount = typed ? parseAmount(typed, minorDigits(c)) : s.lot.ask;
  if (amount == null) { say('The amount is not a number', 'error'); $('#amount').focus(); return; }
  // No channel: the engine records a phone paddle's bid as a phone bid, any other as floor.
  const cmd = { op: 'floor_bid', lot: s.lot.id, amount, seen_seq: s.seq, key: newKey() };
  if (paddle) cmd.paddle = paddle;
  command(cmd, `${formatMoney(amount, c)} to ${paddle ? `paddle ${paddle}` : 'the room'}`).then((ok) => {
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
const PROMPTS = { reason: 'reason (journaled)', message: 'message for the bidders', amount: 'new amount' };
const SUGGESTED = {
  reinstate: 'retracted in error', withdraw: 'withdrawn by the vendor', pause: 'Short break, back shortly',
};
// Bindings the page already has a place for; the rest get a toolbar button.
const PLACED = { floor_bid: '#floor-bid', help: '#help-open' };
const TONE = { hammer: 'danger', next_lot: 'primary' };

const buttonText = (b) => (b.prompt ? `${b.label}…` : b.label);

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
    button.title = b.help;
  }
}

function buildHelp() {
  const row = (keys, text) => h('tr', {}, h('td', {}, ...keys.flatMap((k, i) => [i ? ' ' : '', h('kbd', {}, k)])),
    h('td', {}, text));
  const table = (caption, rows) => h('table', { class: 'keys' }, h('caption', {}, caption), h('tbody', {}, ...rows));
  const entry = [row(['0-9', 'Enter'], 'Bid the ask for that paddle (empty: a room bid)')];
  if (!keymap.has('a')) entry.push(row(['A'], 'Type an amount instead of the ask'));
  entry.push(row(['Esc'], 'Clear the fields, close this help'));
  const groups = new Map();
  for (const b of bindings) groups.set(b.group, [...(groups.get(b.group) || []), row([b.key], b.help)]);
  $('#help-keys').replaceChildren(table('Entry', entry), ...[...groups].map(([g, rows]) => table(g, rows)));
}

/** The binding's op on the current lot with its preset fields (null, with a notice, if no lot). */
function baseCommand(b) {
  const fields = opFields[b.op] || [];
  const cmd = { op: b.op, ...b.preset };
  if (fields.includes('lot')) {
    if (!lotId()) { say('No lot is on the block', 'error'); return null; }
    cmd.lot = lotId();
  }
  if (fields.includes('source')) cmd.source = 'clerk';
  const paddle = $('#paddle').value.trim();
  if (fields.includes('paddle') && paddle) cmd.paddle = paddle;
  return cmd;
}

/** Ask what the binding's prompt names and put it in `cmd`; false if cancelled. */
async function prompted(b, cmd, suggestion = SUGGESTED[b.action] || '') {
  const s = store.get();
  const c = currencyOf(s);
  const now = b.prompt === 'amount' && s.lot ? ` (ask now ${formatMoney(s.lot.ask, c)})` : '';
  const text = await ask(`${b.label}${cmd.lot ? ` · lot ${cmd.lot}` : ''} — ${PROMPTS[b.prompt] || b.prompt}${now}`, suggestion);
  if (!text) return false;
  if (b.prompt !== 'amount') { cmd[b.prompt] = text; return true; }
  const amount = parseAmount(text, minorDigits(c));
  if (amount == null) { say('The amount is not a number', 'error'); return false; }
  cmd.amount = amount;
  return true;
}

/** Any binding: its op with its preset, asking first if it has a prompt. */
async function generic(b) {
  const cmd = baseCommand(b);
  if (!cmd || (b.prompt && !(await prompted(b, cmd)))) return;
  const ok = await command(cmd, `${b.label}: done`);
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
  const ok = await command(cmd, m.paddle ? `Message sent to paddle ${m.paddle}` : 'Message sent to every bidder');
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
    if (!next) { say('There are no more lots', 'error'); return; }
    command({ op: 'open_lot', lot: next.id }, `Lot ${next.id} is open`);
  },
  pause(b) {
    if (store.get().sale?.paused) command({ op: 'resume' }, 'Resumed');
    else generic(b);
  },
  accept_online(b, id = null) {
    const p = id || pendingBids(store.get())[0]?.id;
    if (!p) { say('No online bid is waiting', 'error'); return; }
    command({ op: b.op, lot: lotId(), pending: p }, 'Online bid accepted');
  },
  reject_online(b, id = null) {
    const p = id || pendingBids(store.get())[0]?.id;
    if (!p) { say('No online bid is waiting', 'error'); return; }
    command({ op: b.op, lot: lotId(), pending: p, reason: 'rejected' }, 'Online bid rejected');
  },
  async reopen(b, late = oldestLate()) {
    const cmd = { op: b.op, lot: late?.lot || lotId() };
    if (!cmd.lot) { say('No lot to reopen', 'error'); return; }
    if (late) cmd.late = late.id;
    if (await prompted(b, cmd, late ? 'late bid' : '')) command(cmd, `Lot ${cmd.lot} reopened`);
  },
  leave_sold(b, late = oldestLate()) {
    const cmd = { op: b.op, lot: late?.lot || lotId() };
    if (late) cmd.late = late.id;
    command(cmd, 'Left sold');
  },
};

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

function who(s, bid) {
  if (!bid) return '—';
  const b = bid.paddle != null ? s.bidders[String(bid.paddle)] : null;
  const parts = [bid.paddle != null ? `Paddle ${bid.paddle}` : 'Room (no paddle)', bid.channel];
  if (b?.name) parts.push(b.name);
  if (bid.house) return [HOUSE_BID, b?.name].filter(Boolean).join(' · ');
  return parts.filter(Boolean).join(' · ');
}

function ago(s, at) {
  if (typeof at !== 'number') return '';
  const secs = Math.max(0, Math.round(Date.now() / 1000 - s.skew - at));
  if (secs < 60) return `${secs} s`;
  return secs < 3600 ? `${Math.floor(secs / 60)} min ${secs % 60} s` : 'over an hour';
}

// Toolbar labels that follow the state (null: the binding's own label).
const LIVE_LABELS = {
  next_lot: (s) => { const next = nextPendingLot(s); return next ? `Next: lot ${next.id}` : 'No more lots'; },
  pause: (s) => (s.sale?.paused ? 'Resume' : null),
};

function render(s) {
  const lot = s.lot;
  const c = currencyOf(s);
  setText($('#sale-title'), s.sale?.title || 'Clerk terminal');
  setText($('#lot-number'), lot ? `Lot ${lot.id}` : '');
  const badge = $('#lot-status');
  const status = s.sale?.paused ? 'paused' : lot?.status || '';
  setText(badge, status.replace('_', ' '));
  badge.className = `badge status-${status}`;
  setText($('#lot-title'), lot ? lot.title : 'No lot on the block');
  setText($('#lot-estimate'), lot ? estimateText(lot, c) : '');
  renderNotices($('#notices'), lot);
  renderLife($('#life'), s.sale, { seal: true });
  renderFlash($('#flash'), s.flash);
  setText($('#high'), lot?.high ? formatMoney(lot.high.amount, c) : lot?.hammer?.amount != null ? formatMoney(lot.hammer.amount, c) : '—');
  setText($('#high-who'), who(s, lot?.high || (lot?.hammer?.amount != null ? lot.hammer : null)));
  setText($('#ask'), lot && (LIVE.includes(lot.status) || lot.status === 'pending') ? formatMoney(lot.ask, c) : '—');
  setText($('#increment'), lot?.increment != null ? formatMoney(lot.increment, c) : '—');
  setText($('#reserve'), lot?.reserve == null ? 'none' : `${formatMoney(lot.reserve, c)} (${lot.reserve_met ? 'met' : 'not met'})`);
  setText($('#bids'), String(lot?.bids ?? 0));
  setText($('#floor-bid .label'), lot && LIVE.includes(lot.status) ? `Bid ${$('#amount').value.trim() ? 'amount' : formatMoney(lot.ask, c)}` : 'Bid');
  for (const [action, label] of Object.entries(LIVE_LABELS)) {
    const el = $(`#actions [data-action="${action}"] .label`);
    if (el) setText(el, label(s) ?? buttonText(byAction[action]));
  }

  $('#pending').replaceChildren(...listOr(pendingBids(s).map((p) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `${formatMoney(p.amount, c)} · paddle ${p.paddle}`),
    h('span', { class: 'muted waited', dataset: { at: String(p.at) } }, `waited ${ago(s, p.at)}`),
    h('button', { type: 'button', class: 'primary', onclick: () => run(byAction.accept_online, p.id) }, 'Accept'),
    h('button', { type: 'button', onclick: () => run(byAction.reject_online, p.id) }, 'Reject'))), 'None'));

  $('#late').replaceChildren(...listOr(lateBids(s).map((l) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `Lot ${l.lot}: ${formatMoney(l.amount, c)} · paddle ${l.paddle ?? '—'} · ${l.channel}`),
    h('span', { class: 'muted' }, l.after != null ? `${l.after} s after the hammer` : ''),
    h('button', { type: 'button', class: 'primary', onclick: () => run(byAction.reopen, l) }, 'Reopen'),
    h('button', { type: 'button', onclick: () => run(byAction.leave_sold, l) }, 'Leave sold'))), 'None'));

  $('#refused').replaceChildren(...listOr(s.refusals.slice(0, 12).map((r) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `Lot ${r.lot}: ${formatMoney(r.amount, c)} · ${r.paddle != null ? `paddle ${r.paddle}` : 'room'} · ${r.channel || ''}`),
    h('span', { class: 'muted' }, String(r.reason || '').replaceAll('_', ' ')))), 'None'));

  $('#sent').replaceChildren(...listOr(s.messages.slice(0, 12).map((m) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, m.text),
    h('span', { class: 'muted' }, m.paddle != null ? `to paddle ${m.paddle}` : 'to everyone'))), 'None'));

  $('#history').replaceChildren(...listOr((lot?.history || []).slice().reverse().map((b) => h('li', { class: b.void ? 'row void' : 'row' },
    h('span', { class: 'row-main' }, `${formatMoney(b.amount, c)} · ${who(s, b)}`),
    h('span', { class: 'muted' }, b.void ? b.void : b.auto ? 'commission' : ''))), 'No bids yet'));
}

function listOr(items, empty) {
  return items.length ? items : [h('li', { class: 'muted empty' }, empty)];
}

function tick() {
  const s = store?.get();
  if (!s) return;
  for (const el of document.querySelectorAll('.waited')) setText(el, `waited ${ago(s, Number(el.dataset.at))}`);
}

// ------------------------------------------------------------------ start (pairing: ui.js pairDesk)

async function start(session, staffToken) {
  token = staffToken;
  sale = session.sale || sale;
  setText($('#who'), `${session.role}${session.paddle ? ` ${session.paddle}` : ''}`);
  const staff = topicsOf(session, []).filter((t) => t.endsWith('/staff'));
  if (!(await keysLoaded) && !(await (keysLoaded = loadCommands()))) {
    $('#banner').hidden = false;
    setText($('#banner'), 'The stage did not send its command keys — reload the page');
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

function main() {
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
