/**
 * The change feed: Supabase Realtime `postgres_changes` of one source table, as ChangeEvents, on a
 * channel of the process's shared connection to the project (realtime-connections.ts).
 * Realtime is at-most-once: the activity that consumes this catches up by reconciliation and by
 * checking the source (src/activities/realtime-gaps.ts).
 */
import { REALTIME_SUBSCRIBE_STATES } from '@supabase/supabase-js';
import type {
  ChangeEvent,
  ChangeSubscription,
  Row,
  SubscriptionStatus,
  TableRef,
} from '../contracts/ports.js';
import type { ProjectConnection } from './client.js';
import { realtimeConnections } from './realtime-connections.js';
import { mayBeImprecise } from './lossless-json.js';
import { tableName } from '../core/names.js';

interface ChangePayload {
  eventType: 'INSERT' | 'UPDATE' | 'DELETE';
  commit_timestamp?: string | null;
  new?: Row;
  old?: Row;
  errors?: string[] | null;
}

const present = (row: Row | undefined) => (row && Object.keys(row).length > 0 ? row : undefined);

/** A Realtime payload as a ChangeEvent; a number that may have lost digits is an error (re-read). */
function changeEvent(payload: ChangePayload): ChangeEvent {
  const record = present(payload.new);
  const errors = payload.errors && payload.errors.length > 0 ? [...payload.errors] : [];
  const imprecise = record ? Object.keys(record).filter((c) => mayBeImprecise(record[c])) : [];
  if (imprecise.length > 0)
    errors.push(`more digits than a double holds in ${imprecise.join(', ')}: re-read`);
  return {
    type: payload.eventType,
    commitTimestamp: payload.commit_timestamp ?? null,
    record,
    oldRecord: present(payload.old),
    errors: errors.length > 0 ? errors : null,
  };
}

/**
 * Subscribes to the changes of `ref`, published under `entities` (`schema.table`; the table itself
 * by default, its partitions for a partitioned table whose publication does not publish via the
 * root): one channel, one binding per entity; every change is reported as the table's.
 */
export function subscribeToChanges(
  project: ProjectConnection,
  ref: TableRef,
  onChange: (event: ChangeEvent) => void,
  onStatus: (status: SubscriptionStatus) => void,
  entities: string[] = [tableName(ref)],
): ChangeSubscription {
  const lease = realtimeConnections(project).lease();
  const client = lease.client;
  let closed = false;
  const lost = (reason: string) => {
    if (!closed) onStatus({ kind: 'lost', reason });
  };
  // A topic of its own per subscription: an attempt that replaces another never shares its channel.
  let channel = client.channel(`supabase-sync:${tableName(ref)}:${++subscriptions}`);
  for (const entity of entities) {
    const dot = entity.indexOf('.');
    channel = channel.on(
      'postgres_changes',
      { event: '*', schema: entity.slice(0, dot), table: entity.slice(dot + 1) },
      (payload: ChangePayload) => onChange(changeEvent(payload)),
    );
  }
  channel = channel.on('system', {}, (payload: { extension?: string; status?: string; message?: string }) => {
    if (payload.extension !== 'postgres_changes') return;
    if (payload.status === 'ok') onStatus({ kind: 'live' });
    else lost(`Realtime could not subscribe to ${tableName(ref)}: ${payload.message ?? 'unknown error'}`);
  });
  const joined = lease.turn().then(() => {
    if (closed) return;
    channel.subscribe((status, error) => {
      if (status === REALTIME_SUBSCRIBE_STATES.CHANNEL_ERROR)
        lost(`Realtime channel error: ${error?.message ?? 'unknown'}`);
      else if (status === REALTIME_SUBSCRIBE_STATES.TIMED_OUT) lost('Realtime subscription timed out');
      else if (status === REALTIME_SUBSCRIBE_STATES.CLOSED) lost('Realtime channel closed by the server');
    });
  });
  return {
    close: async () => {
      closed = true;
      await joined;
      // The channel goes; the connection stays for the process's other feeds (realtime-js closes
      // it by itself once it carries no channel).
      await client.removeChannel(channel).catch(() => undefined);
      lease.release();
    },
  };
}

let subscriptions = 0;
