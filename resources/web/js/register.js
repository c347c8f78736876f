// Remote bidder registration: name, email, phone and the identity fields the house's KYC
// policy asks for → POST /api/sales/{sale}/register → pending.
// Everything from the server or the visitor reaches the DOM as text only.
import { $, api, h, setText } from './ui.js';
import { chooseLanguage, languageSelect, loadLanguage, t, translateDom } from './i18n.js';

const KYC_FIELDS = ['address', 'country', 'dob', 'id_type', 'id_number', 'id_expiry', 'company'];
const FIELDS = ['name', 'email', 'phone', ...KYC_FIELDS];
let sale = null;
let required = ['name', 'email'];

function fieldError(name, message) {
  const input = $(`#${name}`);
  const out = $(`#${name}-error`);
  if (!input || !out) return;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  out.hidden = !message;
  setText(out, message || '');
}

function clearErrors() {
  for (const f of FIELDS) fieldError(f, '');
  setText($('#form-error'), '');
}

/** Which field a problem detail names ("'email' does not look like …"), if any. */
export function fieldOf(detail) {
  const m = new RegExp(`'(${FIELDS.join('|')})'`).exec(String(detail || ''));
  if (m) return m[1];
  // "the house's policy requires: address, dob": the first field it names.
  const policy = /policy requires: ([a-z_]+)/.exec(String(detail || ''));
  return policy && FIELDS.includes(policy[1]) ? policy[1] : null;
}

/** Checks in the browser first, so the common mistakes need no round trip. */
export function check(values, needed = required) {
  const errors = {};
  if (!values.name) errors.name = t('Please enter your full name.');
  if (!values.email) errors.email = t('Please enter your email address.');
  for (const f of needed) {
    if (!errors[f] && !values[f]) errors[f] = t('The auction house requires this.');
  }
  return errors;
}

/** Mark the fields the house's policy requires (a star and the `required` attribute). */
function markRequired(fields) {
  required = fields.filter((f) => FIELDS.includes(f));
  for (const f of KYC_FIELDS) {
    const input = $(`#${f}`);
    const star = input && input.closest('.field').querySelector('.req');
    const on = required.includes(f);
    if (input) input.required = on;
    if (star) star.hidden = !on;
  }
}

function problemText(res) {
  const b = res.body || {};
  if (res.status === 0) return t('The auction server cannot be reached. Check your connection and try again.');
  if (typeof b.detail === 'string' && b.detail) return b.detail;
  if (typeof b.title === 'string' && b.title) return b.title;
  return t('Registration failed (HTTP {status}). Please try again.', { status: res.status });
}

async function loadSale() {
  const res = await api('GET', '/api/sales/current');
  if (res.status === 200 && res.body && typeof res.body.sale === 'string') {
    sale = res.body.sale;
    if (Array.isArray(res.body.required)) markRequired(res.body.required.map(String));
    if (res.body.title) {
      saleTitle = res.body.title;
      showTitle();
    }
    return true;
  }
  setText($('#form-error'), t('The auction is not available right now. Please try again later.'));
  return false;
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const values = {};
  for (const f of FIELDS) values[f] = $(`#${f}`).value.trim();
  const errors = check(values);
  const first = FIELDS.find((f) => errors[f]);
  if (first) {
    for (const f of FIELDS) fieldError(f, errors[f] || '');
    setText($('#form-error'), t('Please correct the marked fields.'));
    $(`#${first}`).focus();
    return;
  }
  const button = $('#register-submit');
  button.disabled = true;
  setText(button, t('Registering…'));
  try {
    if (!sale && !(await loadSale())) return;
    const body = { name: values.name, email: values.email };
    for (const f of ['phone', ...KYC_FIELDS]) if (values[f]) body[f] = values[f];
    const res = await api('POST', `/api/sales/${encodeURIComponent(sale)}/register`, { body });
    if ((res.status === 202 || res.status === 200) && res.body && res.body.paddle != null) {
      showDone(String(res.body.paddle), values.name);
      return;
    }
    const message = problemText(res);
    const field = fieldOf(message);
    if (field) {
      fieldError(field, message);
      $(`#${field}`).focus();
    }
    setText($('#form-error'), message);
  } finally {
    button.disabled = false;
    setText(button, t('Register'));
  }
}

function showDone(paddle, name) {
  $('#signup').hidden = true;
  const done = $('#done');
  const text = $('#done-text');
  // The paddle stands out in the sentence, wherever the language puts it.
  const [before, after = ''] = t('Thank you, your paddle is {paddle}, pending approval.').split('{paddle}');
  text.replaceChildren(before, h('span', { class: 'paddle', id: 'paddle' }, paddle), after);
  setText($('#done-name'), name);
  done.hidden = false;
  done.focus();
}

let saleTitle = '';
function showTitle() {
  const title = saleTitle ? t('Register to bid — {sale}', { sale: saleTitle }) : t('Register to bid');
  setText($('#sale-title'), title);
  document.title = title;
}

async function main() {
  $('#register-form').addEventListener('submit', submit);
  await loadLanguage(chooseLanguage());
  translateDom();
  languageSelect($('#lang'), () => { translateDom(); showTitle(); });
  await loadSale();
}

main();
