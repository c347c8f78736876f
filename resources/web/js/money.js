// Amounts on money pages (cashier, the buyer's invoice, the consignor's statement): always with
// the currency's minor digits ("€1,875.00"), as invoices print them; the sale pages drop ".00".

const cache = new Map();

/** Minor units as money with every minor digit, e.g. 187500 EUR -> "€1,875.00"; '—' if not a number. */
export function exactMoney(minor, currency = 'EUR', locale = 'en') {
  if (typeof minor !== 'number' || !Number.isFinite(minor)) return '—';
  const key = `${currency}|${locale}`;
  let f = cache.get(key);
  if (!f) {
    let nf;
    try { nf = new Intl.NumberFormat(locale, { style: 'currency', currency }); } catch { nf = new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' }); }
    const digits = nf.resolvedOptions().maximumFractionDigits;
    f = (m) => nf.format(m / 10 ** digits);
    cache.set(key, f);
  }
  return f(minor);
}
