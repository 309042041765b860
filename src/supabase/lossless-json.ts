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

/**
 * Rewrites a REST response so that no column value loses precision in JSON.parse: a number a
 * double does not print back exactly becomes a JSON string of the same digits. Only the values of
 * the row objects of a top-level array are touched (depth 2): numbers inside json/jsonb values are
 * left as they are.
 */
export function protectImpreciseNumbers(json: string): string {
  if (!json.startsWith('[')) return json;
  let out = '';
  let copied = 0;
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let end = i + 1;
      while (end < json.length && /[0-9.eE+-]/.test(json[end]!)) end++;
      const token = json.slice(i, end);
      // Quoted unless a double prints back exactly the same text: digits beyond a double's, and a
      // scale (1.50, 2.0) that an unconstrained numeric column keeps, survive as text.
      if (depth === 2 && String(Number(token)) !== token) {
        out += `${json.slice(copied, i)}"${token}"`;
        copied = end;
      }
      i = end - 1;
    }
  }
  return copied === 0 ? json : out + json.slice(copied);
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
