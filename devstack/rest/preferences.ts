/** The `Prefer` header (supabase-js joins several preferences with ", " into one header). */
import type http from 'node:http';

export interface Preferences {
  return: 'minimal' | 'representation' | 'headers-only' | null;
  count: 'exact' | 'planned' | 'estimated' | null;
  resolution: 'merge-duplicates' | 'ignore-duplicates' | null;
  missingDefault: boolean;
}

export function parsePreferences(header: http.IncomingHttpHeaders['prefer']): Preferences {
  const prefs: Preferences = { return: null, count: null, resolution: null, missingDefault: false };
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const item of raw.split(',')) {
    const [key = '', value = ''] = item
      .trim()
      .split('=', 2)
      .map((s) => s.trim());
    if (key === 'return' && (value === 'minimal' || value === 'representation' || value === 'headers-only'))
      prefs.return = value;
    else if (key === 'count' && (value === 'exact' || value === 'planned' || value === 'estimated'))
      prefs.count = value;
    else if (key === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates'))
      prefs.resolution = value;
    else if (key === 'missing' && value === 'default') prefs.missingDefault = true;
  }
  return prefs;
}

/** The `Preference-Applied` value for what was honoured. */
export function appliedHeader(parts: Array<string | null | false>): string | null {
  const list = parts.filter((p): p is string => typeof p === 'string' && p !== '');
  return list.length ? list.join(', ') : null;
}
