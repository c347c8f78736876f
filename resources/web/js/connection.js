// One EventSource for all of a page's topics, plus the snapshot it falls back on.
//
// The browser's EventSource reconnects by itself after a dropped stream and sends
// Last-Event-ID, so the hub replays what we missed. If the hub refuses the stream (an HTTP
// error closes an EventSource for good) we open a new one with backoff, passing the last id
// as `lastEventID`. Browsers cannot read the response headers, so we cannot see the hub's
// `earliest` answer; instead, after every reconnect we let the replay arrive and then check
// the snapshot: it is applied only if it is newer than what the events gave us.

import { applyEvent, applySnapshot, isNewer } from './state.js';

// Wire event types, in case the hub names them in the SSE `event:` field.
const TYPES = [
  'lot_opened', 'bid_accepted', 'bid_refused', 'online_bid_pending', 'online_bid_rejected',
  'late_bid', 'late_bid_dismissed', 'set_to_floor', 'bid_retracted', 'bid_reinstated', 'ask_set',
  'increment_set', 'fair_warning', 'lot_sold', 'lot_passed', 'lot_withdrawn', 'lot_reopened',
  'sale_paused', 'sale_resumed', 'settings_changed', 'lot_added', 'bidder_registered',
  'bidder_approved', 'bidder_rejected', 'credit_limit_set', 'absentee_registered',
  'absentee_cancelled', 'sale_created', 'sale_live', 'sale_closed', 'session_ended',
  'session_started', 'lot_edited', 'lot_amended', 'lot_reoffered', 'message_sent', 'phone_booked',
  'phone_cancelled', 'subject_to_resolved',
];

/** A tiny store: the pages render from `get()` whenever `update` changes the state. */
export function createStore(state) {
  const listeners = [];
  return {
    get: () => state,
    update(fn) {
      const next = fn(state);
      if (next !== state) {
        state = next;
        for (const l of listeners) l(state);
      }
      return state;
    },
    subscribe(fn) { listeners.push(fn); fn(state); },
  };
}

export function hubUrl(hub, topics, lastEventId) {
  const q = topics.map((t) => `topic=${encodeURIComponent(t)}`);
  if (lastEventId) q.push(`lastEventID=${encodeURIComponent(lastEventId)}`);
  return `${hub}?${q.join('&')}`;
}

/**
 * Open the stream. onEvent(wireEvent, id), onOpen(reconnected), onStatus('live'|'reconnecting').
 */
export function connect({ hub = '/.well-known/mercure', topics, since = null, onEvent, onOpen, onStatus }) {
  let es = null;
  let lastId = since;
  let delay = 1000;
  let timer = null;
  let down = false;
  let closed = false;

  function handle(e) {
    if (e.lastEventId) lastId = e.lastEventId;
    let data;
    try { data = JSON.parse(e.data); } catch { return; }
    if (!data || typeof data !== 'object') return;
    data.received = Date.now() / 1000;
    onEvent(data, e.lastEventId);
  }

  function open(resume) {
    es = new EventSource(hubUrl(hub, topics, resume ? lastId : null), { withCredentials: true });
    es.onopen = () => {
      delay = 1000;
      const reconnected = down;
      down = false;
      onStatus?.('live');
      onOpen?.(reconnected);
    };
    es.onmessage = handle;
    for (const t of TYPES) es.addEventListener(t, handle);
    es.onerror = () => {
      down = true;
      onStatus?.('reconnecting');
      if (es.readyState === EventSource.CLOSED && !closed) {
        // The hub refused the stream: the browser will not retry; we do, with backoff.
        es.close();
        clearTimeout(timer);
        timer = setTimeout(() => open(true), delay + Math.random() * 300);
        delay = Math.min(delay * 2, 15000);
      }
    };
  }

  open(Boolean(since));
  return {
    get lastEventId() { return lastId; },
    get readyState() { return es ? es.readyState : 2; },
    close() { closed = true; clearTimeout(timer); es?.close(); },
  };
}

/**
 * Keep `store` in step with the stage: events from the hub, the snapshot when we have none
 * or may have missed something. `gapless`: the topic carries every seq (staff), so a jump
 * in seq means we missed events.
 */
export function sync({ store, sale, topics, token = null, hub, gapless = false, onStatus }) {
  let resyncTimer = null;
  let loading = false;

  async function loadSnapshot() {
    if (loading) return null;
    loading = true;
    try {
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      const r = await fetch(`/api/sales/${encodeURIComponent(sale)}/state`, { headers, cache: 'no-store' });
      if (!r.ok) throw new Error(`snapshot ${r.status}`);
      const snap = await r.json();
      store.update((s) => applySnapshot(s, snap));
      return snap;
    } catch {
      if (!store.get().snapshot) resync(2000);
      return null;
    } finally {
      loading = false;
    }
  }

  function resync(ms) {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(loadSnapshot, ms);
  }

  let conn = null;
  const handlers = {
    hub, topics, onStatus,
    onEvent(ev) {
      const s = store.get();
      if (isNewer(s, ev.epoch, ev.seq) && s.seq !== null) {
        const newEpoch = typeof ev.epoch === 'number' && typeof s.epoch === 'number' && ev.epoch !== s.epoch;
        if (newEpoch || (gapless && ev.seq > s.seq + 1)) resync(300);
      }
      store.update((st) => applyEvent(st, ev));
      // The seal (the journal's head hash) cannot ride on the record it seals: the stage adds
      // it to snapshots, so load one once the sale has closed.
      if (ev.type === 'sale_closed') resync(0);
    },
    onOpen(reconnected) {
      if (!store.get().snapshot) loadSnapshot();
      else if (reconnected) resync(800); // after the replay has had time to arrive
    },
  };
  let closed = false;
  // Snapshot first, then subscribe from the snapshot's seq: the hub replays whatever was
  // committed in between, so nothing falls in the gap between the two requests.
  loadSnapshot().then((snap) => {
    if (closed) return;
    const since = snap && Number.isInteger(snap.seq) && Number.isInteger(snap.epoch)
      ? `${sale}:${snap.epoch}:${snap.seq}:s` : null;
    conn = connect({ ...handlers, since });
  });
  return {
    get conn() { return conn; },
    resync: () => resync(0),
    close() { closed = true; clearTimeout(resyncTimer); conn?.close(); },
  };
}
