/**
 * The change feed: a temporary `pgoutput` logical replication slot on one dedicated connection,
 * drained over SQL in commit order (as Supabase's ReplicationPoller drains its wal2json slot),
 * values cast with `realtime.cast`, matched against the subscriptions live at poll time.
 * At-most-once: whatever has no matching subscriber when it is polled is consumed and dropped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { changeRelationId, parsePgOutput, type RelationMessage } from './pgoutput.js';
import {
  filterSource,
  formatCommitTimestamp,
  renderData,
  shapeChange,
  type ChangeShape,
  type Field,
} from './records.js';
import { passesFilters } from './filters.js';
import type { ChangeEvent, ChangeTarget, LiveBinding, SubscriptionRegistry } from './subscriptions.js';

const PUBLICATION = 'supabase_realtime';
/** Messages per poll (whole transactions are always returned together). */
const POLL_MAX_MESSAGES = 1000;
const IDLE_POLL_MS = 50;
const RETRY_AFTER_ERROR_MS = 1000;

export type Deliver<T> = (target: T, dataJson: string, ids: number[]) => void;

export interface ChangePollerOptions<T extends ChangeTarget> {
  databaseUrl: string;
  registry: SubscriptionRegistry<T>;
  deliver: Deliver<T>;
  log: (message: string) => void;
}

interface Candidate<T extends ChangeTarget> {
  shape: ChangeShape;
  bindings: LiveBinding<T>[];
}

/**
 * Types whose `to_jsonb(text::type)` is plain to compute here (same JSON value as `realtime.cast`),
 * which saves a dynamic-SQL `EXECUTE` per value in the database: int2, int4, int8, bool, text,
 * varchar, uuid, name.
 */
const INTEGER_OIDS = new Set([21, 23, 20]);
const STRING_OIDS = new Set([25, 1043, 2950, 19]);

function castLocally(typeOid: number, text: string): string | undefined {
  if (INTEGER_OIDS.has(typeOid) && /^-?\d+$/.test(text)) return text;
  if (STRING_OIDS.has(typeOid)) return JSON.stringify(text);
  if (typeOid === 16) return text === 't' ? 'true' : text === 'f' ? 'false' : undefined;
  return undefined;
}

const EVENT_BY_TAG: Record<string, ChangeEvent> = { insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' };

export class ChangePoller<T extends ChangeTarget> {
  private client: pg.Client | undefined;
  private slot = '';
  private readonly relations = new Map<number, RelationMessage>();
  private readonly typeNames = new Map<number, string>();
  private closed = false;
  /** The loop stops (and the slot goes) when this is set; `ensureRunning` starts both again. */
  private stopRequested = false;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  /** Start and stop run one at a time, in order. */
  private ops: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ChangePollerOptions<T>) {}

  /**
   * Creates the slot (so changes committed from now on are seen) and polls in the background, if not
   * already running. Called before a subscription is confirmed, as Realtime starts a tenant's
   * replication when the first `postgres_changes` subscriber joins.
   */
  ensureRunning(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    return this.serially(async () => {
      if (this.closed) throw new Error('realtime is shutting down');
      if (this.running) return;
      this.relations.clear();
      await this.connect();
      this.stopRequested = false;
      this.running = true;
      this.loopDone = this.loop();
    });
  }

  /** Nobody subscribes any more: stop polling (and drop the slot) after `afterMs` unless one joins. */
  idleSoon(afterMs: number): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.serially(() => this.stop()).catch(() => undefined), afterMs);
    this.idleTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.serially(() => this.stop()).catch(() => undefined);
  }

  private serially(op: () => Promise<void>): Promise<void> {
    const next = this.ops.then(op);
    this.ops = next.catch(() => undefined);
    return next;
  }

  private async stop(): Promise<void> {
    if (!this.running) return;
    this.stopRequested = true;
    this.wake?.();
    await this.loopDone;
    this.running = false;
    await this.disconnect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: 'devstack-realtime',
    });
    client.on('error', (err) => this.options.log(`slot connection error: ${err.message}`));
    await client.connect();
    try {
      await client.query(`set timezone = 'UTC'`);
      const slot = `devstack_realtime_${process.pid}_${randomBytes(4).toString('hex')}`;
      await client.query(`select pg_create_logical_replication_slot($1, 'pgoutput', true)`, [slot]);
      this.slot = slot;
      this.client = client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // The slot is temporary: it goes with the session. Dropping it first just makes that explicit.
    await client.query('select pg_drop_replication_slot($1)', [this.slot]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.closed && !this.stopRequested) {
      let busy = false;
      try {
        if (!this.client) await this.connect();
        busy = await this.pollOnce();
      } catch (err) {
        if (this.closed || this.stopRequested) break;
        this.options.log(`poll failed, recreating the slot (changes meanwhile are lost): ${String(err)}`);
        await this.disconnect();
        await this.sleep(RETRY_AFTER_ERROR_MS);
        continue;
      }
      if (!busy && !this.closed && !this.stopRequested) await this.sleep(IDLE_POLL_MS);
    }
  }

  /** One drain of the slot. True when it returned anything (poll again at once). */
  private async pollOnce(): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    const result = await client.query<{ data: Buffer }>(
      `select data from pg_logical_slot_get_binary_changes($1, NULL, $2, 'proto_version', '1', 'publication_names', $3)`,
      [this.slot, POLL_MAX_MESSAGES, PUBLICATION],
    );
    if (result.rows.length === 0) return false;

    const candidates: Candidate<T>[] = [];
    let commitTimestamp = '';
    for (const { data } of result.rows) {
      const relationId = changeRelationId(data);
      if (relationId !== undefined) {
        const relation = this.relations.get(relationId);
        if (!relation) throw new Error(`pgoutput: change for unknown relation ${relationId}`);
        const bindings = this.options.registry.forTable(relation.schema, relation.table);
        if (bindings.length === 0) continue; // nobody listens: consumed and dropped
        const message = parsePgOutput(data);
        if (message.tag !== 'insert' && message.tag !== 'update' && message.tag !== 'delete') continue;
        const type = EVENT_BY_TAG[message.tag] as ChangeEvent;
        const interested = bindings.filter((b) => b.binding.event === '*' || b.binding.event === type);
        if (interested.length === 0) continue;
        const shape = shapeChange({
          type,
          relation,
          commitTimestamp,
          newTuple: message.tag === 'delete' ? null : message.newTuple,
          oldKind: message.tag === 'insert' ? null : message.oldKind,
          oldTuple: message.tag === 'insert' ? null : message.oldTuple,
        });
        candidates.push({ shape, bindings: interested });
        continue;
      }
      const message = parsePgOutput(data);
      if (message.tag === 'begin') commitTimestamp = formatCommitTimestamp(message.commitTimeUs);
      else if (message.tag === 'relation') this.relations.set(message.relationId, message);
    }
    if (candidates.length > 0) await this.deliver(client, candidates);
    return true;
  }

  private async deliver(client: pg.Client, candidates: Candidate<T>[]): Promise<void> {
    await this.loadTypeNames(client, candidates);
    await this.cast(client, candidates);
    for (const { shape, bindings } of candidates) {
      const source = bindings.some((b) => b.binding.filters.length > 0) ? filterSource(shape) : {};
      // One frame per (channel, select list), carrying the ids of that channel's matching bindings.
      const groups = new Map<string, { target: T; select: string[] | undefined; ids: number[] }>();
      for (const { target, binding } of bindings) {
        if (!passesFilters(binding.filters, source)) continue;
        const key = `${target.key}\u0000${binding.select ? JSON.stringify(binding.select) : ''}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { target, select: binding.select, ids: [] }));
        if (!group.ids.includes(binding.id)) group.ids.push(binding.id);
      }
      const rendered = new Map<string, string>();
      for (const { target, select, ids } of groups.values()) {
        const selectKey = select ? JSON.stringify(select) : '';
        let data = rendered.get(selectKey);
        if (data === undefined) rendered.set(selectKey, (data = renderData(shape, this.typeNames, select)));
        this.options.deliver(target, data, ids);
      }
    }
  }

  private async loadTypeNames(client: pg.Client, candidates: Candidate<T>[]): Promise<void> {
    const missing = new Set<number>();
    for (const { shape } of candidates) {
      for (const col of shape.change.relation.columns)
        if (!this.typeNames.has(col.typeOid)) missing.add(col.typeOid);
    }
    if (missing.size === 0) return;
    const result = await client.query<{ oid: number; typname: string }>(
      'select oid::int8 as oid, typname from pg_type where oid = any($1::oid[])',
      [[...missing]],
    );
    for (const row of result.rows) this.typeNames.set(Number(row.oid), row.typname);
  }

  /** Every non-null field through `realtime.cast(text, regtype)` (one query per poll), but see `castLocally`. */
  private async cast(client: pg.Client, candidates: Candidate<T>[]): Promise<void> {
    const fields: Field[] = [];
    for (const { shape } of candidates) {
      for (const f of [...(shape.record ?? []), ...(shape.oldRecord ?? [])]) {
        if (f.text === null) f.json = 'null';
        else if ((f.json = castLocally(f.typeOid, f.text)) === undefined) fields.push(f);
      }
    }
    if (fields.length === 0) return;
    const result = await client.query<{ j: string }>(
      'select realtime.cast(v, t::regtype)::text as j from unnest($1::text[], $2::oid[]) with ordinality as x(v, t, i) order by i',
      [fields.map((f) => f.text), fields.map((f) => f.typeOid)],
    );
    result.rows.forEach((row, i) => {
      const field = fields[i];
      if (field) field.json = row.j;
    });
  }
}
