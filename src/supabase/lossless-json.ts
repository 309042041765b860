/**
 * Lossless JSON numbers. PostgREST returns numeric and int8 columns as JSON numbers, and Realtime
 * sends them so too; JSON.parse turns them into doubles, which lose digits (numeric(30,10), int8
 * beyond 2^53) and the scale an unconstrained numeric keeps (1.50). REST responses are rewritten
 * before parsing so such values arrive as strings of the same digits (the target's
 * jsonb_populate_recordset reads them back into the column type exactly); Realtime payloads, which
 * cannot be rewritten, are checked and their rows re-read over REST.
 */

/** A JSON number as (sign, significant digits, exponent of the last digit), to compare values exactly. */
function canonicalNumber(token: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return token;
  const [, sign = '', int = '', frac = '', exp = '0'] = match;
  const all = (int + frac).replace(/^0+/, '');
  if (all === '') return '0';
  const digits = all.replace(/0+$/, '');
  const exponent = Number(exp) - frac.length + (all.length - digits.length);
  return `${sign}${digits}e${exponent}`;
}

/** Whether a number's text, read as a double and printed again, comes back the same. */
function printsBack(token: string): boolean {
  return String(Number(token)) === token;
}

const QUOTE = 34;
const BACKSLASH = 92;

/** Whether the character code may be part of a JSON number: 0-9 . e E + - */
function inNumber(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/**
 * Rewrites a REST response so that no column value loses precision in JSON.parse: a number a
 * double does not print back exactly becomes a JSON string of the same digits. Only the values of
 * the row objects of a top-level array are touched (depth 2): numbers inside json/jsonb values are
 * left as they are. One pass over the text; strings are skipped with indexOf.
 */
export function protectImpreciseNumbers(json: string): string {
  if (!json.startsWith('[')) return json;
  const parts: string[] = [];
  let copied = 0;
  let depth = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      // To the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        const close = json.indexOf('"', i + 1);
        if (close < 0) return copied === 0 ? json : parts.join('') + json.slice(copied);
        let slashes = 0;
        while (json.charCodeAt(close - 1 - slashes) === BACKSLASH) slashes++;
        i = close;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 91 || c === 123) {
      depth++;
    } else if (c === 93 || c === 125) {
      depth--;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let end = i + 1;
      let plain = c !== 45 || end < n; // only digits after an optional sign
      for (let d = json.charCodeAt(end); end < n && inNumber(d); d = json.charCodeAt(++end))
        if (d < 48 || d > 57) plain = false;
      // An integer of at most 15 digits always prints back (below 2^53, no exponent); "-0" does not.
      const digits = c === 45 ? end - i - 1 : end - i;
      const zero = json.charCodeAt(end - digits) === 48 && (digits > 1 || c === 45);
      const exact = plain && digits > 0 && digits <= 15 && !zero;
      // Quoted unless a double prints back exactly the same text: digits beyond a double's, and a
      // scale (1.50, 2.0) that an unconstrained numeric column keeps, survive as text.
      if (depth === 2 && !exact) {
        const token = json.slice(i, end);
        if (!printsBack(token)) {
          parts.push(json.slice(copied, i), '"', token, '"');
          copied = end;
        }
      }
      i = end - 1;
    }
  }
  return copied === 0 ? json : parts.join('') + json.slice(copied);
}

/**
 * Whether a number in a Realtime payload may have lost precision in JSON.parse: such a row is
 * re-read from the source by key, exactly.
 */
export function mayBeImprecise(value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (Number.isInteger(value)) return !Number.isSafeInteger(value);
  return canonicalNumber(String(value)).replace(/^-?(\d*)e.*$/, '$1').length >= 16;
}
