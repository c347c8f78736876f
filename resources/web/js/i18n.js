// The pages' language: t('English text', {name: value}) wherever a user reads it.
// Catalogues: resources/locale/<lang>/LC_MESSAGES/web*.po, served merged at /i18n/<lang>.json
// (see hub/i18n.py). Static HTML text is marked with data-i18n and translated by translateDom();
// an attribute (aria-label, placeholder, title, alt) by data-i18n-attr="aria-label title".
// English is the source: a message's id is its English text, so a missing translation shows
// English, never an empty string. `qps` is the test pseudo-language: every message as ⟦…⟧.

export const LANGUAGES = ['en', 'de', 'fr'];
export const NAMES = { en: 'English', de: 'Deutsch', fr: 'Français' };
const PSEUDO = 'qps';
const SAVED = 'auctionmen.lang';

let current = 'en';
const tables = new Map([['en', {}]]); // language -> msgid -> text
const original = new WeakMap(); // element -> {attr: English text}
const listeners = [];

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (params && k in params ? String(params[k]) : m));
}

/** `msgid` in language `tag` (loaded with loadLanguage or loadCatalogue), placeholders filled. */
export function tIn(tag, msgid, params = {}) {
  // In the test language, every msgid asked for is kept: a test checks the extractor found it.
  if (tag === PSEUDO) (globalThis.__msgidsShown ||= new Set()).add(msgid);
  const text = tag === PSEUDO ? `⟦${msgid}⟧` : ((tables.get(tag) || {})[msgid] || msgid);
  return fill(text, params);
}

/** Marks a msgid for the catalogue where it is defined; t() translates it where it is shown. */
export const N_ = (msgid) => msgid;

/** `msgid` in the page's language, `{name}` placeholders replaced from `params`. */
export function t(msgid, params = {}) {
  return tIn(current, msgid, params);
}

export function lang() { return current; }

/** The BCP 47 tag for Intl (the pseudo-language formats numbers as English). */
export function locale() { return current === PSEUDO ? 'en' : current; }

function base(tag) {
  const b = String(tag || '').toLowerCase().split(/[-_.]/)[0];
  return b === PSEUDO || LANGUAGES.includes(b) ? b : '';
}

/** ?lang= in the address, else the bidder's saved choice, else the browser's languages. */
export function chooseLanguage() {
  let saved = '';
  try { saved = localStorage.getItem(SAVED) || ''; } catch { /* storage off: browser's */ }
  const asked = new URLSearchParams(location.search).get('lang') || '';
  for (const tag of [asked, saved, ...(navigator.languages || [navigator.language])]) {
    const b = base(tag);
    if (b) return b;
  }
  return 'en';
}

/** Remember the language a person chose on the page (for their next visit). */
export function saveLanguage(tag) {
  try { localStorage.setItem(SAVED, base(tag) || 'en'); } catch { /* private mode */ }
}

/** Fetch a catalogue without switching to it (a second language on the room display). */
export async function loadCatalogue(tag) {
  tag = base(tag) || 'en';
  if (tables.has(tag) || tag === PSEUDO) return tag;
  try {
    const r = await fetch(`/i18n/${tag}.json`);
    tables.set(tag, r.ok ? await r.json() : {});
  } catch {
    return tag; // offline: English this time, asked again next time
  }
  return tag;
}

/** Fetch and use the catalogue of `tag`; the page's <html lang> follows. */
export async function loadLanguage(tag) {
  tag = await loadCatalogue(tag);
  current = tag;
  document.documentElement.lang = locale();
  for (const fn of listeners) fn(current);
  return current;
}

/** Call `fn(lang)` whenever the page's language changes. */
export function onLanguage(fn) { listeners.push(fn); }

/** Translate every [data-i18n] element's text and [data-i18n-attr] attributes under `root`. */
export function translateDom(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    if (!el.dataset.i18n) el.dataset.i18n = el.textContent.trim().replace(/\s+/g, ' ');
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    const was = original.get(el) || {};
    for (const attr of el.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
      if (!(attr in was)) was[attr] = el.getAttribute(attr) || '';
      if (was[attr]) el.setAttribute(attr, t(was[attr]));
    }
    original.set(el, was);
  }
}

/**
 * A language selector (<select>) for `LANGUAGES`, each named in its own language; choosing one
 * loads it, remembers it and calls `onChange(lang)`.
 */
export function languageSelect(select, onChange) {
  select.replaceChildren(...LANGUAGES.map((l) => {
    const o = document.createElement('option');
    o.value = l;
    o.lang = l;
    o.textContent = NAMES[l];
    return o;
  }));
  select.value = LANGUAGES.includes(current) ? current : 'en';
  select.addEventListener('change', async () => {
    saveLanguage(select.value);
    await loadLanguage(select.value);
    onChange?.(current);
  });
}
