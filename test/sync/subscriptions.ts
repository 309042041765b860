/**
 * A source project that counts its open Realtime subscriptions per table, to see a feed stop: a
 * subscription counts as closed once its `close()` has finished.
 */
import type { ChangeSubscription, SourceProject } from '../../src/contracts/ports.js';

export interface CountingSource {
  source: SourceProject;
  /** Open subscriptions of `schema.table`. */
  open(qualifiedName: string): number;
  /** The most that were ever open at once. */
  peak(qualifiedName: string): number;
}

export function countSubscriptions(inner: SourceProject): CountingSource {
  const open = new Map<string, number>();
  const peak = new Map<string, number>();
  const subscribe: SourceProject['subscribe'] = (ref, onChange, onStatus, entities) => {
    const name = `${ref.schema}.${ref.table}`;
    open.set(name, (open.get(name) ?? 0) + 1);
    peak.set(name, Math.max(peak.get(name) ?? 0, open.get(name)!));
    const subscription = inner.subscribe(ref, onChange, onStatus, entities);
    let closed = false;
    const counted: ChangeSubscription = {
      close: async () => {
        try {
          await subscription.close();
        } finally {
          if (!closed) open.set(name, (open.get(name) ?? 1) - 1);
          closed = true;
        }
      },
    };
    return counted;
  };
  const source = new Proxy(inner, {
    get(target, property) {
      if (property === 'subscribe') return subscribe;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { source, open: (name) => open.get(name) ?? 0, peak: (name) => peak.get(name) ?? 0 };
}
