// What the staff pages (clerk, cashier, phone operator, consignor) share: their language.
//
// The terminal's language: ?lang= in the address, else the choice saved on this terminal (the
// header's selector), else the browser's. Static text is marked data-i18n in the HTML; a change
// of language translates it again and calls the page's `relabel` for what its script wrote.

import { chooseLanguage, languageSelect, loadLanguage, t, translateDom } from './i18n.js';
import { $, h, setText } from './ui.js';

/** Load the terminal's language, translate the page and put the selector in its header. */
export async function startLanguage(relabel = () => {}) {
  await loadLanguage(chooseLanguage());
  translateDom();
  const bar = $('header.bar');
  if (!bar || $('#lang')) return;
  const label = h('label', { for: 'lang', class: 'lang-label' }, t('Language'));
  const select = h('select', { id: 'lang', class: 'lang' });
  bar.append(h('div', { class: 'lang-box' }, label, select));
  languageSelect(select, () => {
    translateDom();
    setText(label, t('Language'));
    relabel();
  });
}
