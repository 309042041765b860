/**
 * Every value the dashboard page shows goes through `text()`: HTML-escaped, and with anything that
 * may be a secret or a row's value masked first (a message from Postgres or an API can quote them):
 * JWTs (the service role keys are JWTs), Supabase's `sb_secret_…` keys, password hashes (bcrypt,
 * argon2), `Key (col)=(value)` details and bearer tokens.
 */
const MASKS: Array<[RegExp, string]> = [
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '***'],
  [/\bsb_(secret|publishable)_[A-Za-z0-9_-]+/g, '***'],
  [/\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g, '***'],
  [/\$argon2(id|i|d)\$[^\s"']+/g, '***'],
  [/\b(Key \([^)]*\)=)\((?:[^()]|\([^()]*\))*\)/g, '$1(…)'],
  [/\b(Bearer|apikey[=:])\s*\S+/gi, '$1 ***'],
];

export function redact(value: string): string {
  return MASKS.reduce((s, [pattern, replacement]) => s.replace(pattern, replacement), value);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A value for the page: masked, then escaped. */
export function text(value: string | number | null | undefined): string {
  return escapeHtml(redact(value === null || value === undefined ? '' : String(value)));
}
