/**
 * Every table of a real Supabase app syncs, and no table ever stalls (test/support/app-schema.ts:
 * identity keys, unique emails and slugs, an enum, a domain, RLS without policies, cascades, a
 * partitioned table, a foreign key to auth.users, a private schema without grants), under churn
 * that swaps and reuses unique values, renames in chains and cascades deletes; a TRUNCATE, a DELETE
 * without WHERE, and a column added on the source mid-run. The target equals the source row for
 * row, and `verify` says so. Once with the Realtime feed, once with reconciliation alone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TableStatus } from '../../src/contracts/table-sync.js';
import { AppChurn, appSchema, createAppSchema, type AppSchema } from '../support/app-schema.js';
import { waitInSync } from '../support/compare.js';
import { closeDatabases, db } from '../support/db.js';
import { testStack } from '../support/stack-env.js';
import { startSync, testConfig, waitUntilSyncing, type RunningSync } from '../support/sync.js';
import { waitFor } from '../support/wait.js';
import { holdDuringFile } from '../support/resource-lock.js';
import { verifyUntilEqual } from '../support/verify-until-equal.js';

const stack = testStack();
const source = () => db(stack.source.databaseUrl);
const target = () => db(stack.target.databaseUrl);

async function allInSync(s: AppSchema, sync: RunningSync, timeoutMs = 30_000): Promise<void> {
  for (const t of s.tables) {
    try {
      await waitInSync(t.qualifiedName, { key: s.keys[t.qualifiedName], timeoutMs });
    } catch (error) {
      const status = await sync.status(t);
      throw new Error(
        `${(error as Error).message}\nstatus: ${status.state}, last error: ${JSON.stringify(status.lastError)}, last pass: ${JSON.stringify(status.lastPass)}`,
      );
    }
  }
}

/** A state a user would worry about: anything but copying and running. */
function troubled(status: TableStatus): boolean {
  return status.state === 'blocked' || status.state === 'failing' || status.state === 'stopped';
}

/**
 * The app's TRUNCATE, retried when Postgres aborts it in a deadlock (40P01: a TRUNCATE of a
 * partitioned table locks the parent, then each partition, and a reader that went the other way
 * meanwhile makes one of them give way), as an app would retry it.
 */
async function truncate(table: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await source().query(`TRUNCATE ${table}`);
      return;
    } catch (error) {
      if (attempt >= 3 || (error as { code?: string }).code !== '40P01') throw error;
    }
  }
}

// Its churn adds users to auth.users: not while a file compares all of it (test/support/resource-lock.ts).
holdDuringFile('auth.users', 'shared');

for (const realtime of [true, false]) {
  describe(`a SaaS app's schema under churn (realtime ${realtime ? 'on' : 'off'})`, () => {
    const s = appSchema(`app${realtime ? 'rt' : 'rc'}_${randomBytes(3).toString('hex')}`, { realtime });
    let sync: RunningSync;
    let churn: AppChurn;

    before(async () => {
      await createAppSchema(s, [stack.source.databaseUrl, stack.target.databaseUrl]);
      churn = new AppChurn(s, source(), realtime ? 7 : 11);
      await churn.seed(4);
      sync = await startSync(testConfig(s.tables, { realtime }));
    });

    after(async () => {
      await sync?.close();
      await closeDatabases();
    });

    test('the first copy is exact: identity keys, enums, domains, arrays, ranges, inet, interval, jsonb, bytea, partitions', async () => {
      for (const t of s.tables) await waitUntilSyncing(sync, t, { realtime, timeoutMs: 30_000 });
      await allInSync(s, sync);
      const grants = await source().query<{ ok: boolean }>(
        `SELECT has_table_privilege('service_role', '${s.audit}', 'SELECT') AS ok`,
      );
      // Realtime needs to read it: the sync granted SELECT (and said so) only when streaming it.
      assert.equal(grants.rows[0]!.ok, realtime);
    });

    test('values swapped, reused and renamed in chains, and cascades: the target converges and no table stalls', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        seen.add(await churn.step());
        if (i % 10 === 9) {
          for (const t of s.tables) {
            const status = await sync.status(t);
            assert.ok(
              !troubled(status),
              `${t.qualifiedName} is ${status.state}: ${status.lastError?.message}`,
            );
          }
        }
      }
      // The operations that stall a naive sync all ran.
      await churn.swapEmails();
      await churn.reuseEmail();
      await churn.renameChain();
      await churn.deleteOrg();
      await allInSync(s, sync);
      for (const t of s.tables) {
        const status = await sync.status(t);
        assert.ok(!troubled(status), `${t.qualifiedName} is ${status.state}: ${status.lastError?.message}`);
      }
      assert.ok(seen.size >= 4, [...seen].join(', '));
    });

    test('TRUNCATE (a partitioned table, a private one) and DELETE without WHERE reach the target; rows written after are kept', async () => {
      await truncate(s.events);
      await truncate(s.audit);
      await source().query(
        `INSERT INTO ${s.events} (occurred_at, kind) VALUES ('2026-12-24T00:00:00Z', 'after.truncate')`,
      );
      await source().query(`INSERT INTO ${s.audit} (id, action) VALUES (1000000, 'after truncate')`);
      await source().query(`DELETE FROM ${s.lines}`);
      await allInSync(s, sync);
      const after = await target().query(`SELECT kind FROM ${s.events}`);
      assert.deepEqual(
        after.rows.map((r: { kind: string }) => r.kind),
        ['after.truncate'],
      );
    });

    test('a column added on the source blocks that table alone, says the ALTER TABLE, and resumes once the target has it', async () => {
      await source().query(`ALTER TABLE ${s.invoices} ADD COLUMN note text DEFAULT 'n/a'`);
      await source().query(
        `UPDATE ${s.invoices} SET note = 'changed after the column' WHERE id IN (SELECT id FROM ${s.invoices} LIMIT 2)`,
      );
      const invoices = s.tables.find((t) => t.qualifiedName === s.invoices)!;
      const blocked = await waitFor(
        async () => {
          const status = await sync.status(invoices);
          return status.state === 'blocked' && status.lastError?.message.includes('schema drift')
            ? status
            : undefined;
        },
        { timeoutMs: 20_000, message: async () => JSON.stringify(await sync.status(invoices)) },
      );
      assert.match(
        blocked.lastError!.message,
        new RegExp(
          `column note \\(text\\) of ${s.invoices.replace('.', '\\.')} is on the source but not on the target; run on the target: ALTER TABLE ${s.invoices.replace('.', '\\.')} ADD COLUMN note text DEFAULT 'n/a'::text;`,
        ),
      );
      // The other tables keep syncing meanwhile.
      await churn.newOrg();
      await waitInSync(s.orgs, { timeoutMs: 20_000 });
      await waitInSync(s.members, { timeoutMs: 20_000 });
      await target().query(`ALTER TABLE ${s.invoices} ADD COLUMN note text DEFAULT 'n/a'`);
      await allInSync(s, sync);
      const resumed = await waitFor(
        async () => {
          const status = await sync.status(invoices);
          return !troubled(status) ? status : undefined;
        },
        { timeoutMs: 20_000 },
      );
      assert.equal(resumed.lastError, null);
    });

    test('verify says OK', async () => {
      // The rows are in sync; the sequences follow within seconds (the feed moves them after its
      // writes, every pass too): verify says equal once they have.
      await verifyUntilEqual(sync, s.tables, `verify-${s.suffix}`);
    });
  });
}
