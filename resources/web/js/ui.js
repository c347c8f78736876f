// Small helpers the pages share. Data only ever reaches the DOM as text (textContent).

import { t } from './i18n.js';

export const SALE_IRI = (sale) => `https://auctionmen.local/sales/${sale}`;
export const PLACEHOLDER = '/static/images/placeholder.svg';

export const $ = (sel, root = document) => root.querySelector(sel);

/** Create an element: h('li', {class: 'x'}, 'text', child). Strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Set text only if it changed (keeps ARIA live regions from repeating themselves). */
export function setText(el, text) {
  text = text == null ? '' : String(text);
  if (el && el.textContent !== text) el.textContent = text;
}

export function setTone(el, tone) {
  for (const c of [...el.classList]) if (c.startsWith('tone-')) el.classList.remove(c);
  if (tone) el.classList.add(`tone-${tone}`);
}

/** Point an <img> at a lot image; fall back to the placeholder if it fails to load. */
export function setImage(img, name, alt) {
  const src = name ? `/images/${encodeURIComponent(name)}` : PLACEHOLDER;
  if (!img.dataset.wired) {
    img.dataset.wired = '1';
    img.addEventListener('error', () => {
      if (!img.src.endsWith(PLACEHOLDER)) img.src = PLACEHOLDER;
    });
  }
  if (img.dataset.want !== src) {
    img.dataset.want = src;
    img.src = src;
  }
  if (img.alt !== alt) img.alt = alt || '';
}

/**
 * The token: from the URL fragment (#token=…) the first time, then from sessionStorage.
 * The fragment is removed from the address bar at once, so it is never bookmarked or shared.
 */
export function takeToken(storageKey) {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(storageKey, fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
    return fromUrl;
  }
  return sessionStorage.getItem(storageKey);
}

/** Where a staff desk (clerk terminal, phone operator) keeps its token for the session. */
export const STAFF_TOKEN_KEY = 'auctionmen.clerk.token';

/** Where a page signed out by staff leaves its notice across the reload that stops it. */
const SIGNED_OUT_KEY = 'auctionmen.signed-out';
/** This device's label for per-person pairing ("terminal:<label>" in the journal). */
const DEVICE_KEY = 'auctionmen.device';
const STAFF_ROLES = ['auctioneer', 'clerk', 'desk', 'cashier', 'admin', 'officer'];
const SESSION_CHECK_MS = 5000;

function deviceLabel(place) {
  let label = localStorage.getItem(DEVICE_KEY);
  if (!label || !/^[A-Za-z0-9._-]{1,32}$/.test(label)) {
    label = `${place}-${Math.random().toString(36).slice(2, 7)}`;
    localStorage.setItem(DEVICE_KEY, label);
  }
  return label;
}

/** The name field of per-person pairing, added to a page's PIN form if it has none. */
function nameField() {
  let input = $('#staff-name');
  if (input) return input;
  const pin = $('#pin');
  const pinLabel = $('label[for=pin]');
  input = h('input', { id: 'staff-name', name: 'staff', autocomplete: 'username', maxlength: 100 });
  const nameBox = h('div', { class: 'pair-field' }, h('label', { for: 'staff-name' }, t('Your name')), input);
  const pinBox = h('div', { class: 'pair-field' });
  pinLabel.before(nameBox, pinBox);
  pinBox.append(pinLabel, pin);
  setText(pinLabel, t('PIN'));
  const intro = $('#pair > p:not(.notice)');
  if (intro) setText(intro, t('Staff with an account: your name and your own PIN. Otherwise the 6-digit PIN on the auctioneer\'s screen, with no name.'));
  // Staff PINs are 4 to 12 digits; the stage screen's is 6.
  pin.removeAttribute('pattern');
  pin.setAttribute('maxlength', '12');
  return input;
}

/**
 * A staff desk's pairing, shared by the clerk terminal, the phone operator's and the cashier's
 * pages: a staff token from the link (or this tab's session), else the form (#pair,
 * #staff-name, #pin, #pair-error): a name and that person's own PIN, or only the PIN the stage
 * screen shows (houses without staff accounts). The stage checks the token (`/api/session`)
 * and `onSession(session, token)` opens the desk. `place` names the desk in messages
 * ("terminal", "desk"). Returns `forget(message | response)`, for a token the stage stops
 * accepting: a response refused `revoked` (staff signed this session out) stops the page at
 * once (a reload ends its streams) and shows "Signed out".
 */
export function pairDesk({ place, onSession }) {
  let token = null;
  const name = nameField();
  function show(message, signedOut = false) {
    sessionStorage.removeItem(STAFF_TOKEN_KEY);
    token = null;
    $('#desk').hidden = true;
    $('#pair').hidden = false;
    document.body.dataset.session = signedOut ? 'signed-out' : 'pairing';
    if (signedOut) setText($('#pair-title'), t('Signed out'));
    setText($('#pair-error'), message);
    (name.value ? $('#pin') : name).focus();
  }
  function forget(what) {
    if (typeof what === 'string') { show(what); return; }
    if (what?.body?.reason === 'revoked') {
      sessionStorage.removeItem(STAFF_TOKEN_KEY);
      sessionStorage.setItem(SIGNED_OUT_KEY, signedOutText(what.body.detail));
      location.reload();
      return;
    }
    show(expiredText(place));
  }
  async function start() {
    const r = await api('POST', '/api/session', { token });
    if (r.status !== 200 || !r.body) {
      if (r.body?.reason === 'revoked') { show(signedOutText(r.body.detail), true); return; }
      show(r.status === 0 ? t('No answer from the stage — check the network') : expiredText(place));
      return;
    }
    if (!STAFF_ROLES.includes(r.body.role)) { show(t('That link is not a staff link.')); return; }
    document.body.dataset.session = 'live';
    watch();
    await onSession(r.body, token);
  }
  // An idle desk learns it was signed out too: the session is asked again every few seconds
  // (a revoked one answers 401 `revoked`; no answer at all is just the network).
  let watching = null;
  function watch() {
    clearInterval(watching);
    watching = setInterval(async () => {
      if (!token) { clearInterval(watching); return; }
      const r = await api('POST', '/api/session', { token });
      if (r.status === 401) { clearInterval(watching); forget(r); }
    }, SESSION_CHECK_MS);
  }
  async function pair(e) {
    e.preventDefault();
    const who = name.value.trim();
    const pin = $('#pin').value.trim();
    const body = who ? { staff: who, pin, device: deviceLabel(place) } : { pin };
    const r = await api('POST', '/api/pair', { body });
    if (r.status === 200 && r.body?.token) {
      sessionStorage.setItem(STAFF_TOKEN_KEY, r.body.token);
      token = r.body.token;
      setText($('#pair-error'), '');
      start();
      return;
    }
    const detail = typeof r.body?.detail === 'string' ? r.body.detail : '';
    clearInterval(waiting);
    if (r.status === 429) { countDown(r.retryAfter); $('#pin').select(); return; }
    setText($('#pair-error'), r.status === 0 ? t('No answer from the stage — check the network')
      : who && detail ? detail
        : r.body?.reason === 'staff_pin_required' ? t('Enter your name and your own PIN')
          : t('That PIN is not the one on the stage screen'));
    $('#pin').select();
  }
  // Too many tries: the real wait, from the stage's Retry-After, counted down to "try again".
  let waiting = null;
  function countDown(seconds) {
    if (!Number.isFinite(seconds) || seconds <= 0) {
      setText($('#pair-error'), t('Too many attempts — wait a moment and try again'));
      return;
    }
    let left = Math.ceil(seconds);
    const button = $('#pair-form button[type=submit]');
    const say = () => {
      if (left > 0) setText($('#pair-error'), t('Too many attempts — try again in {seconds} s', { seconds: left }));
      else { clearInterval(waiting); setText($('#pair-error'), t('You can try again now')); }
      if (button) button.disabled = left > 0;
    };
    say();
    waiting = setInterval(() => { left -= 1; say(); }, 1000);
  }
  $('#pair-form').addEventListener('submit', pair);
  const notice = sessionStorage.getItem(SIGNED_OUT_KEY);
  sessionStorage.removeItem(SIGNED_OUT_KEY);
  token = notice ? null : takeToken(STAFF_TOKEN_KEY);
  if (notice) show(notice, true);
  else if (token) start();
  else { $('#pair').hidden = false; name.focus(); }
  return forget;
}

function signedOutText(detail) {
  return detail ? t('Signed out: {detail}.', { detail }) : t('Signed out: this session was ended.');
}

function expiredText(place) {
  return place === 'terminal' ? t('Pairing expired: pair this terminal again.') : t('Pairing expired: pair this desk again.');
}

/** JSON over fetch: {status, body, retryAfter}; status 0 on a network error. `retryAfter`:
 * the seconds of a Retry-After header (a 429's real wait), else null. */
export async function api(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const r = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'same-origin',
    });
    let data = null;
    try { data = await r.json(); } catch { data = null; }
    const wait = Number.parseInt(r.headers.get('Retry-After') || '', 10);
    return { status: r.status, body: data, retryAfter: Number.isFinite(wait) ? wait : null };
  } catch {
    return { status: 0, body: null, retryAfter: null };
  }
}

/** An idempotency key. crypto.randomUUID needs a secure context; plain-http LAN pages do not have one. */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Topics from a session answer ({"room": iri, ...} or a list), or built from the sale. */
export function topicsOf(session, fallback) {
  const t = session?.topics;
  let list = [];
  if (Array.isArray(t)) list = t;
  else if (t && typeof t === 'object') list = Object.values(t).flat();
  list = list.filter((x) => typeof x === 'string');
  return list.length ? list : fallback;
}

/** The connection banner: hidden while live. */
export function showConnection(banner, status) {
  banner.hidden = status === 'live';
  setText(banner, status === 'live' ? '' : t('Reconnecting…'));
  document.body.dataset.connection = status;
}

/** Whole units typed by a person ("1,300" or "1300.50") to minor units; null if not a number. */
export function parseAmount(text, digits = 2) {
  const clean = String(text || '').replace(/[\s,'’_]/g, '').replace(/^[^\d]+/, '');
  if (!/^\d+(\.\d+)?$/.test(clean)) return null;
  const [whole, frac = ''] = clean.split('.');
  if (frac.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || 0);
}

export function minorDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch { return 2; }
}
