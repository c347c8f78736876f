// Small helpers the pages share. Data only ever reaches the DOM as text (textContent).

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

/**
 * A staff desk's pairing, shared by the clerk terminal and the phone operator's page: a staff
 * token from the link (or this tab's session), else the PIN form (#pair, #pin, #pair-error);
 * the stage checks the token (`/api/session`) and `onSession(session, token)` opens the desk.
 * `place` names the desk in messages ("terminal", "desk"). Returns `forget(message)`, for a
 * token the stage stops accepting.
 */
export function pairDesk({ place, onSession }) {
  let token = null;
  function forget(message) {
    sessionStorage.removeItem(STAFF_TOKEN_KEY);
    token = null;
    $('#desk').hidden = true;
    $('#pair').hidden = false;
    setText($('#pair-error'), message);
    $('#pin').focus();
  }
  async function start() {
    const r = await api('POST', '/api/session', { token });
    if (r.status !== 200 || !r.body) {
      forget(r.status === 0 ? 'No answer from the stage — check the network' : `Pairing expired: pair this ${place} again.`);
      return;
    }
    if (!['clerk', 'auctioneer'].includes(r.body.role)) { forget('That link is not a staff link.'); return; }
    await onSession(r.body, token);
  }
  async function pair(e) {
    e.preventDefault();
    const r = await api('POST', '/api/pair', { body: { pin: $('#pin').value.trim() } });
    if (r.status === 200 && r.body?.token) {
      sessionStorage.setItem(STAFF_TOKEN_KEY, r.body.token);
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
  $('#pair-form').addEventListener('submit', pair);
  token = takeToken(STAFF_TOKEN_KEY);
  if (token) start();
  else { $('#pair').hidden = false; $('#pin').focus(); }
  return forget;
}

/** JSON over fetch: {status, body}; status 0 on a network error. */
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
    return { status: r.status, body: data };
  } catch {
    return { status: 0, body: null };
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
  setText(banner, status === 'live' ? '' : 'Reconnecting…');
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
