// Number parsing with Python's int()/float() acceptance rules, for parsers
// that mirror AlphaFold/OpenFold code calling int(text) or float(text).
// Return null where Python would raise ValueError; the caller raises our
// ParseError with its own location.

const PY_INT = /^[ \t\r\n\f\v]*[+-]?[0-9]+(?:_[0-9]+)*[ \t\r\n\f\v]*$/;
const PY_FLOAT =
  /^[ \t\r\n\f\v]*[+-]?(?:(?:[0-9]+(?:_[0-9]+)*(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?|\.[0-9]+(?:_[0-9]+)*)(?:[eE][+-]?[0-9]+(?:_[0-9]+)*)?|inf|infinity|nan)[ \t\r\n\f\v]*$/i;

/** Python `int(text)` for base-10 text, or null where Python raises. */
export function pyInt(text: string): number | null {
  if (!PY_INT.test(text)) return null;
  return Number(text.trim().replace(/_/g, ''));
}

/** Python `float(text)`, or null where Python raises. */
export function pyFloat(text: string): number | null {
  if (!PY_FLOAT.test(text)) return null;
  const body = text.trim().replace(/_/g, '').toLowerCase();
  const unsigned = body.replace(/^[+-]/, '');
  const sign = body.startsWith('-') ? -1 : 1;
  if (unsigned === 'inf' || unsigned === 'infinity') return sign * Infinity;
  if (unsigned === 'nan') return NaN;
  return Number(body);
}

/**
 * Fast path for mmCIF numeric fields (no regex): the number in
 * text[start, end) when it is a plain decimal (sign, digits, one '.',
 * exponent), otherwise falls back to pyFloat. Returns null when invalid.
 */
export function parseDecimal(text: string, start: number, end: number): number | null {
  let sawDigit = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) sawDigit = true;
    else if (c !== 46 && c !== 45 && c !== 43 && c !== 101 && c !== 69) return pyFloat(text.slice(start, end));
  }
  if (!sawDigit) return null;
  const value = Number(text.slice(start, end));
  return Number.isNaN(value) ? pyFloat(text.slice(start, end)) : value;
}
