// The pages' language: t('English text', {name: value}) wherever a user reads it.
// Catalogues: resources/locale/<lang>/LC_MESSAGES/web*.po, served merged at /i18n/<lang>.json
// (see hub/i18n.py). Static HTML text is marked with data-i18n and translated by translateDom().
// Contract (issue 15): t, lang, LANGUAGES, chooseLanguage, loadLanguage, translateDom,
// onLanguage. The implementation is filled in by the web i18n work.

export const LANGUAGES = ['en', 'de', 'fr'];
let current = 'en';
let table = {};

/** `msgid` in the page's language, `{name}` placeholders replaced from `params`. */
export function t(msgid, params = {}) {
  const text = current === 'qps' ? `⟦${msgid}⟧` : (table[msgid] || msgid);
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

export function lang() { return current; }

/** ?lang= in the address, else the bidder's saved choice, else the browser's languages. */
export function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get('lang')
    || localStorage.getItem('auctionmen.lang') || '';
  for (const tag of [asked, ...(navigator.languages || [])]) {
    const base = (tag || '').toLowerCase().split(/[-_]/)[0];
    if (base === 'qps' || LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** Fetch and use the catalogue of `tag`. */
export async function loadLanguage(tag) {
  current = tag;
  table = {};
  if (tag === 'en' || tag === 'qps') return;
  const r = await fetch(`/i18n/${tag}.json`);
  if (r.ok) table = await r.json();
}

/** Translate every [data-i18n] element's text (the English text is its msgid). */
export function translateDom(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    if (!el.dataset.i18n) el.dataset.i18n = el.textContent.trim();
    el.textContent = t(el.dataset.i18n);
  }
}
