// The front page (/): the auction's screens, in the visitor's language (a selector, remembered).

import { chooseLanguage, languageSelect, loadLanguage, translateDom } from './i18n.js';

async function main() {
  await loadLanguage(chooseLanguage());
  translateDom();
  languageSelect(document.querySelector('#lang'), () => translateDom());
}

main();
