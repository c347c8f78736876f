// The clerk terminal: /clerk (pair with the PIN, or /clerk#token=JWT). Keyboard first.

import {
  applyEvent, applySnapshot, currencyOf, estimateText, formatMoney, initialState, lateBids, LIVE,
  nextPendingLot, pendingBids, reasonText,
} from './state.js';
import { createStore, sync } from './connection.js';
import {
  $, api, h, minorDigits, newKey, parseAmount, SALE_IRI, setText, setTone, showConnection, takeToken, topicsOf,
} from './ui.js';

const TOKEN_KEY = 'auctionmen.clerk.token';
let token = null;
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
  if (r.status === 401) { forget('Pairing expired: pair this terminal again.'); return false; }
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
  const cmd = { op: 'floor_bid', lot: s.lot.id, amount, seen_seq: s.seq, key: newKey(), channel: 'floor' };
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

const ACTIONS = {
  fair_warning: () => command({ op: 'fair_warning', lot: lotId() }, 'Fair warning'),
  hammer: () => command({ op: 'hammer', lot: lotId(), source: 'clerk' }, 'Hammer down'),
  pass: () => command({ op: 'pass', lot: lotId(), source: 'clerk' }, 'Passed'),
  async retract() {
    const lot = store.get().lot;
    if (!lot?.high) { say('There is no bid to retract', 'error'); return; }
    const reason = await ask(`Retract ${formatMoney(lot.high.amount, currencyOf(store.get()))} — reason`);
    if (reason) command({ op: 'retract', lot: lot.id, reason }, 'Bid retracted');
  },
  set_to_floor() {
    const paddle = $('#paddle').value.trim();
    const cmd = { op: 'set_to_floor', lot: lotId() };
    if (paddle) cmd.paddle = paddle;
    command(cmd, 'Set to floor').then((ok) => { if (ok) $('#paddle').value = ''; });
  },
  next() {
    const next = nextPendingLot(store.get());
    if (!next) { say('There are no more lots', 'error'); return; }
    command({ op: 'open_lot', lot: next.id }, `Lot ${next.id} is open`);
  },
  async reopen(lateId = null, lot = null) {
    const target = lot || store.get().lot?.id;
    if (!target) return;
    const reason = await ask(`Reopen lot ${target} — reason`, lateId ? 'late bid' : '');
    if (!reason) return;
    const cmd = { op: 'reopen', lot: target, reason };
    if (lateId) cmd.late = lateId;
    command(cmd, `Lot ${target} reopened`);
  },
  leave_sold(lateId = null, lot = null) {
    const target = lot || lateBids(store.get())[0]?.lot || lotId();
    const cmd = { op: 'leave_sold', lot: target };
    if (lateId) cmd.late = lateId;
    command(cmd, 'Left sold');
  },
  accept(id = null) {
    const p = id || pendingBids(store.get())[0]?.id;
    if (!p) { say('No online bid is waiting', 'error'); return; }
    command({ op: 'accept_online', lot: lotId(), pending: p }, 'Online bid accepted');
  },
  reject(id = null) {
    const p = id || pendingBids(store.get())[0]?.id;
    if (!p) { say('No online bid is waiting', 'error'); return; }
    command({ op: 'reject_online', lot: lotId(), pending: p, reason: 'rejected' }, 'Online bid rejected');
  },
  async set_ask() {
    const s = store.get();
    if (!s.lot) { say('No lot is on the block', 'error'); return; }
    const c = currencyOf(s);
    const typed = await ask(`Lot ${s.lot.id} — new ask (now ${formatMoney(s.lot.ask, c)})`);
    if (!typed) return;
    const amount = parseAmount(typed, minorDigits(c));
    if (amount == null) { say('The amount is not a number', 'error'); return; }
    command({ op: 'set_ask', lot: s.lot.id, amount }, `Ask set to ${formatMoney(amount, c)}`);
  },
  inc_half: () => command({ op: 'set_increment', lot: lotId(), mode: 'half' }, 'Increment halved'),
  inc_double: () => command({ op: 'set_increment', lot: lotId(), mode: 'double' }, 'Increment doubled'),
  async reinstate() {
    const lot = store.get().lot;
    if (!lot) { say('No lot is on the block', 'error'); return; }
    const reason = await ask(`Reinstate the last withdrawn bid on lot ${lot.id} — reason`, 'retracted in error');
    if (reason) command({ op: 'reinstate', lot: lot.id, reason }, 'Bid reinstated');
  },
  async withdraw() {
    const lot = store.get().lot;
    if (!lot) { say('No lot is on the block', 'error'); return; }
    const reason = await ask(`Withdraw lot ${lot.id} from the sale — reason`, 'withdrawn by the vendor');
    if (reason) command({ op: 'withdraw', lot: lot.id, reason }, `Lot ${lot.id} withdrawn`);
  },
  async pause() {
    if (store.get().sale?.paused) { command({ op: 'resume' }, 'Resumed'); return; }
    const message = await ask('Pause — message for the bidders', 'Short break, back shortly');
    if (message !== null) command({ op: 'pause', message }, 'Paused');
  },
};

const KEYS = {
  w: 'fair_warning', h: 'hammer', p: 'pass', r: 'retract', t: 'set_to_floor', n: 'next',
  o: 'reopen', l: 'leave_sold', y: 'accept', x: 'reject', z: 'pause', s: 'set_ask',
  i: 'reinstate', '-': 'inc_half', '+': 'inc_double', '=': 'inc_double', d: 'withdraw',
};

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || !store) return;
  if ($('#ask-dialog').open || $('#help').open) return; // dialogs handle their own keys
  const target = e.target;
  if (target.id === 'pin') return;
  if (e.key === '?') { e.preventDefault(); $('#help').showModal(); return; }
  if (e.key === 'Escape') { $('#paddle').value = ''; $('#amount').value = ''; $('#paddle').focus(); return; }
  const k = e.key.length === 1 ? e.key.toLowerCase() : '';
  if (k === 'a') { e.preventDefault(); $('#amount').focus(); return; }
  if (KEYS[k]) {
    e.preventDefault();
    ACTIONS[KEYS[k]]();
  }
}

// ------------------------------------------------------------------ rendering

function who(s, bid) {
  if (!bid) return '—';
  const b = bid.paddle != null ? s.bidders[String(bid.paddle)] : null;
  const parts = [bid.paddle != null ? `Paddle ${bid.paddle}` : 'Room (no paddle)', bid.channel];
  if (b?.name) parts.push(b.name);
  if (bid.house) parts.push('house bid');
  return parts.filter(Boolean).join(' · ');
}

function ago(s, at) {
  if (typeof at !== 'number') return '';
  const secs = Math.max(0, Math.round(Date.now() / 1000 - s.skew - at));
  if (secs < 60) return `${secs} s`;
  return secs < 3600 ? `${Math.floor(secs / 60)} min ${secs % 60} s` : 'over an hour';
}

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
  setText($('#high'), lot?.high ? formatMoney(lot.high.amount, c) : lot?.hammer?.amount != null ? formatMoney(lot.hammer.amount, c) : '—');
  setText($('#high-who'), who(s, lot?.high || (lot?.hammer?.amount != null ? lot.hammer : null)));
  setText($('#ask'), lot && (LIVE.includes(lot.status) || lot.status === 'pending') ? formatMoney(lot.ask, c) : '—');
  setText($('#increment'), lot?.increment != null ? formatMoney(lot.increment, c) : '—');
  setText($('#reserve'), lot?.reserve == null ? 'none' : `${formatMoney(lot.reserve, c)} (${lot.reserve_met ? 'met' : 'not met'})`);
  setText($('#bids'), String(lot?.bids ?? 0));
  setText($('#floor-bid'), lot && LIVE.includes(lot.status) ? `Bid ${$('#amount').value.trim() ? 'amount' : formatMoney(lot.ask, c)}` : 'Bid');
  setText($('#pause-label'), s.sale?.paused ? 'Resume' : 'Pause…');
  const next = nextPendingLot(s);
  setText($('[data-action="next"]'), '');
  $('[data-action="next"]').append(h('kbd', {}, 'N'), next ? ` Next: lot ${next.id}` : ' No more lots');

  $('#pending').replaceChildren(...listOr(pendingBids(s).map((p) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `${formatMoney(p.amount, c)} · paddle ${p.paddle}`),
    h('span', { class: 'muted waited', dataset: { at: String(p.at) } }, `waited ${ago(s, p.at)}`),
    h('button', { type: 'button', class: 'primary', onclick: () => ACTIONS.accept(p.id) }, 'Accept'),
    h('button', { type: 'button', onclick: () => ACTIONS.reject(p.id) }, 'Reject'))), 'None'));

  $('#late').replaceChildren(...listOr(lateBids(s).map((l) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `Lot ${l.lot}: ${formatMoney(l.amount, c)} · paddle ${l.paddle ?? '—'} · ${l.channel}`),
    h('span', { class: 'muted' }, l.after != null ? `${l.after} s after the hammer` : ''),
    h('button', { type: 'button', class: 'primary', onclick: () => ACTIONS.reopen(l.id, l.lot) }, 'Reopen'),
    h('button', { type: 'button', onclick: () => ACTIONS.leave_sold(l.id, l.lot) }, 'Leave sold'))), 'None'));

  $('#refused').replaceChildren(...listOr(s.refusals.slice(0, 12).map((r) => h('li', { class: 'row' },
    h('span', { class: 'row-main' }, `Lot ${r.lot}: ${formatMoney(r.amount, c)} · ${r.paddle != null ? `paddle ${r.paddle}` : 'room'} · ${r.channel || ''}`),
    h('span', { class: 'muted' }, String(r.reason || '').replaceAll('_', ' ')))), 'None'));

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

// ------------------------------------------------------------------ pairing and start

function forget(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  $('#desk').hidden = true;
  $('#pair').hidden = false;
  setText($('#pair-error'), message);
  $('#pin').focus();
}

async function pair(e) {
  e.preventDefault();
  const pin = $('#pin').value.trim();
  const r = await api('POST', '/api/pair', { body: { pin } });
  if (r.status === 200 && r.body?.token) {
    sessionStorage.setItem(TOKEN_KEY, r.body.token);
    token = r.body.token;
    setText($('#pair-error'), '');
    start();
    return;
  }
  setText($('#pair-error'), r.status === 429 ? 'Too many attempts — wait a minute and try again'
    : r.status === 0 ? 'No answer from the stage — check the network'
      : 'That PIN is not the one on the stage screen');
  $('#pin').select();
}

async function start() {
  const r = await api('POST', '/api/session', { token });
  if (r.status !== 200 || !r.body) {
    forget(r.status === 0 ? 'No answer from the stage — check the network' : 'Pairing expired: pair this terminal again.');
    return;
  }
  const session = r.body;
  if (!['clerk', 'auctioneer'].includes(session.role)) { forget('That link is not a clerk link.'); return; }
  sale = session.sale || sale;
  setText($('#who'), `${session.role}${session.paddle ? ` ${session.paddle}` : ''}`);
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
  $('#paddle').focus();
}

function main() {
  document.addEventListener('keydown', onKey);
  $('#pair-form').addEventListener('submit', pair);
  $('#entry-form').addEventListener('submit', (e) => { e.preventDefault(); floorBid(); });
  $('#amount').addEventListener('input', () => store && render(store.get()));
  $('#help-open').addEventListener('click', () => $('#help').showModal());
  for (const b of document.querySelectorAll('[data-action]')) {
    b.addEventListener('click', () => ACTIONS[b.dataset.action]());
  }
  setInterval(tick, 1000);
  token = takeToken(TOKEN_KEY);
  if (token) start();
  else { $('#pair').hidden = false; $('#pin').focus(); }
}

main();
