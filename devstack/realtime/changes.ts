/**
 * The change feed: a temporary `pgoutput` logical replication slot on one dedicated connection,
 * drained over SQL in commit order (as Supabase's ReplicationPoller drains its wal2json slot), at
 * the hosted poller's cadence and batch: at most 100 changes a poll (whole transactions), the next
 * poll at once after one that had changes for subscribers, 100 ms (+50–100 ms jitter) after one
 * whose changes nobody listened to, 500 ms when idle. Values are cast with `realtime.cast`, matched
 * against the subscriptions live at poll time. At-most-once: whatever has no matching subscriber
 * when it is polled is consumed and dropped, and so is everything polled while the project is over
 * its plan's messages per second (silently: channels stay joined, nothing is sent).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Caster, cutDeletesUnderRls } from './casting.js';
import { changeRelationId, parsePgOutput, type RelationMessage } from './pgoutput.js';
import { filterSource, formatCommitTimestamp, renderData, shapeChange, type ChangeShape } from './records.js';
import { passesFilters } from './filters.js';
import type { RateCounter } from './rate-counter.js';
import type { ChangeEvent, ChangeTarget, LiveBinding, SubscriptionRegistry } from './subscriptions.js';

const PUBLICATION = 'supabase_realtime';
/** The hosted poller's `poll_max_changes`: changes per poll (whole transactions). */
export const POLL_MAX_CHANGES = 100;
/** The hosted poller's `poll_interval_ms`, and its idle multiplier. */
export const POLL_INTERVAL_MS = 100;
const IDLE_MULTIPLIER = 5;
/** Messages read from the slot at once (queued here, handed out a poll's worth at a time). */
const READ_MESSAGES = 1000;
const RETRY_AFTER_ERROR_MS = 1000;

export type Deliver<T> = (target: T, dataJson: string, ids: number[]) => void;

export interface ChangePollerOptions<T extends ChangeTarget> {
  databaseUrl: string;
  registry: SubscriptionRegistry<T>;
  deliver: Deliver<T>;
  /** The messages-per-second counter of the project a target belongs to: over it, its changes are dropped. */
  messagesFor: (target: T) => RateCounter;
  log: (message: string) => void;
}

interface Candidate<T extends ChangeTarget> {
  shape: ChangeShape;
  bindings: LiveBinding<T>[];
}

/** A row change read from the slot, not yet matched (that happens at its poll). */
interface QueuedChange {
  relation: RelationMessage;
  data: Buffer;
  commitTimestamp: string;
}

type PollResult = 'processed' | 'unwatched' | 'idle';

const EVENT_BY_TAG: Record<string, ChangeEvent> = { insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' };

export class ChangePoller<T extends ChangeTarget> {
  private client: pg.Client | undefined;
  private slot = '';
  private readonly relations = new Map<number, RelationMessage>();
  private readonly caster = new Caster();
  /** Read from the slot, not yet polled: whole transactions, oldest first. */
  private queue: QueuedChange[][] = [];
  private queuedChanges = 0;
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
      let result: PollResult;
      try {
        if (!this.client) await this.connect();
        result = await this.pollOnce();
      } catch (err) {
        if (this.closed || this.stopRequested) break;
        this.options.log(`poll failed, recreating the slot (changes meanwhile are lost): ${String(err)}`);
        this.queue = [];
        this.queuedChanges = 0;
        await this.disconnect();
        await this.sleep(RETRY_AFTER_ERROR_MS);
        continue;
      }
      if (this.closed || this.stopRequested) break;
      if (result === 'unwatched') await this.sleep(POLL_INTERVAL_MS + 50 + Math.floor(Math.random() * 51));
      else if (result === 'idle') await this.sleep(POLL_INTERVAL_MS * IDLE_MULTIPLIER);
    }
    this.queue = [];
    this.queuedChanges = 0;
  }

  /** Reads from the slot into the queue: whole transactions, relation messages applied in order. */
  private async read(client: pg.Client): Promise<void> {
    const result = await client.query<{ data: Buffer }>(
      `select data from pg_logical_slot_get_binary_changes($1, NULL, $2, 'proto_version', '1', 'publication_names', $3)`,
      [this.slot, READ_MESSAGES, PUBLICATION],
    );
    let commitTimestamp = '';
    let transaction: QueuedChange[] = [];
    for (const { data } of result.rows) {
      const relationId = changeRelationId(data);
      if (relationId !== undefined) {
        const relation = this.relations.get(relationId);
        if (!relation) throw new Error(`pgoutput: change for unknown relation ${relationId}`);
        transaction.push({ relation, data, commitTimestamp });
        continue;
      }
      // TRUNCATE (and origin, type, message) is never emitted, as on the hosted service.
      const message = parsePgOutput(data);
      if (message.tag === 'begin') commitTimestamp = formatCommitTimestamp(message.commitTimeUs);
      else if (message.tag === 'relation') this.relations.set(message.relationId, message);
      else if (message.tag === 'commit' && transaction.length > 0) {
        this.queue.push(transaction);
        this.queuedChanges += transaction.length;
        transaction = [];
      }
    }
    // The slot returns whole transactions; anything left over is queued as one.
    if (transaction.length > 0) {
      this.queue.push(transaction);
      this.queuedChanges += transaction.length;
    }
  }

  /** One poll: at most POLL_MAX_CHANGES changes (whole transactions), delivered or dropped. */
  private async pollOnce(): Promise<PollResult> {
    const client = this.client;
    if (!client) return 'idle';
    if (this.queuedChanges < POLL_MAX_CHANGES) await this.read(client);
    const polled: QueuedChange[] = [];
    while (polled.length < POLL_MAX_CHANGES && this.queue.length > 0) {
      const transaction = this.queue.shift()!;
      this.queuedChanges -= transaction.length;
      polled.push(...transaction);
    }
    if (polled.length === 0) return 'idle';

    const candidates: Candidate<T>[] = [];
    for (const { relation, data, commitTimestamp } of polled) {
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
    }
    if (candidates.length === 0) return 'unwatched';
    await this.deliver(client, candidates);
    return 'processed';
  }

  private async deliver(client: pg.Client, candidates: Candidate<T>[]): Promise<void> {
    const shapes = candidates.map((c) => c.shape);
    await this.caster.loadTypeNames(client, shapes);
    await this.caster.cast(client, shapes);
    await cutDeletesUnderRls(client, shapes);
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
        if (data === undefined)
          rendered.set(selectKey, (data = renderData(shape, this.caster.names, select)));
        // Over its project's messages per second: consumed, nothing sent, the channel stays joined.
        const messages = this.options.messagesFor(target);
        if (messages.triggered) continue;
        messages.add(ids.length);
        this.options.deliver(target, data, ids);
      }
    }
  }
}
