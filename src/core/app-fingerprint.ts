/**
 * Comparing two readings of a project's app fingerprint (src/contracts/app-catalog.ts
 * `AppFingerprint`: one md5 per schema): the schemas where something changed, appeared or went.
 * Pure, no Node built-ins.
 */
import type { AppFingerprint } from '../contracts/app-catalog.js';

/** The schemas whose fingerprint differs between the readings (every schema when there was none before). */
export function changedSchemas(before: AppFingerprint | undefined, after: AppFingerprint): string[] {
  if (before === undefined) return Object.keys(after).sort();
  const schemas = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...schemas].filter((s) => before[s] !== after[s]).sort();
}
