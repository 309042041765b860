/**
 * The worker's schema watch (src/engine/schema-watch.ts) against projects in memory: it compares
 * only when a fingerprint changed, logs one line per new difference with its SQL, counts them, says
 * once that a project lacks the fingerprint function and stays quiet after, and with follow applies
 * only what adds.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { AppCatalogScope, AppFingerprint, AppObject } from '../../src/contracts/app-catalog.js';
import { SyncError } from '../../src/contracts/ports.js';
import type { TableSchemaResult } from '../../src/contracts/table-schema.js';
import type { SchemaStep } from '../../src/core/schema-plan.js';
import { createLogger } from '../../src/engine/logger.js';
import { SchemaWatch } from '../../src/engine/schema-watch.js';
import type { SchemaReader } from '../../src/supabase/schema-project.js';
import type { TableConfig } from '../../src/contracts/config.js';
import { policy } from './app-objects.js';

const posts: TableConfig = {
  schema: 'app',
  table: 'posts',
  qualifiedName: 'app.posts',
  primaryKeys: ['id'],
  incrementalFields: ['updated_at'],
  realtime: true,
  reconcile: true,
};

class FakeProject implements SchemaReader {
  catalogReads = 0;
  missingFunction = false;
  constructor(public objects: AppObject[]) {}
  readSchema(): Promise<TableSchemaResult> {
    return Promise.resolve({ exists: false } as TableSchemaResult);
  }
  listTables() {
    return Promise.resolve([]);
  }
  functionsVersion() {
    return Promise.resolve(null);
  }
  readAppCatalog(_scope: AppCatalogScope): Promise<AppObject[]> {
    this.catalogReads += 1;
    return Promise.resolve(this.objects);
  }
  readAppFingerprint(_scope: AppCatalogScope): Promise<AppFingerprint> {
    if (this.missingFunction)
      return Promise.reject(
        new SyncError(
          'target project (http://x): the supabase-sync functions are missing: apply supabase/migrations/20261207130000_sync_app_fingerprint.sql to it',
          'migration',
        ),
      );
    return Promise.resolve({ app: createHash('md5').update(JSON.stringify(this.objects)).digest('hex') });
  }
}

class Lines extends Writable {
  readonly lines: Array<{ level: string; msg: string }> = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString().split('\n'))
      if (l) this.lines.push(JSON.parse(l) as { level: string; msg: string });
    done();
  }
}

function watch(source: FakeProject, target: FakeProject, follow?: (steps: SchemaStep[]) => void) {
  const out = new Lines();
  const counts: number[] = [];
  const w = new SchemaWatch({
    source,
    target,
    tables: () => [posts],
    logger: createLogger('info', out),
    intervalMs: 60_000,
    onDifferences: (n) => counts.push(n),
    ...(follow
      ? {
          follow: {
            databaseUrl: 'postgres://postgres:secret@db.example:5432/postgres',
            apply: (_url: string, steps: SchemaStep[]) => Promise.resolve(follow(steps)),
          },
        }
      : {}),
  });
  return { w, out, counts };
}

test('compares only when a fingerprint changed; one line per new difference, with its SQL; the count', async () => {
  const source = new FakeProject([policy('read own')]);
  const target = new FakeProject([policy('read own')]);
  const { w, out, counts } = watch(source, target);
  await w.look();
  assert.deepEqual(counts, [0]);
  assert.equal(out.lines.length, 0);
  await w.look();
  assert.equal(source.catalogReads, 1, 'nothing changed: no comparison');

  source.objects = [policy('read own'), policy('read published')];
  await w.look();
  assert.equal(source.catalogReads, 2);
  assert.deepEqual(counts, [0, 1]);
  assert.equal(out.lines.length, 1);
  assert.equal(out.lines[0]!.level, 'warn');
  assert.match(
    out.lines[0]!.msg,
    /^schema drift: policy "read published" on app\.posts is missing on the target; to make the target match, run on it: CREATE POLICY "read published" ON .*app.*posts.* AS PERMISSIVE FOR SELECT TO .*authenticated.* USING \(true\);$/,
  );

  // Edited on the source: a new line; the same difference again: none.
  source.objects = [policy('read own', 'false'), policy('read published')];
  await w.look();
  await w.look();
  assert.deepEqual(counts, [0, 1, 2]);
  assert.equal(out.lines.length, 2);
  assert.match(
    out.lines[1]!.msg,
    /^schema drift: policy "read own" on app\.posts: its using differs; .*DROP POLICY/,
  );

  target.objects = [policy('read own', 'false'), policy('read published')];
  await w.look();
  assert.deepEqual(counts, [0, 1, 2, 0]);
  assert.deepEqual(
    out.lines.slice(2).map((l) => l.msg),
    [
      'schema drift: policy "read own" on app.posts matches the source again',
      'schema drift: policy "read published" on app.posts matches the source again',
    ],
  );
});

test('a project without the fingerprint function: one warning naming the migration, then quiet', async () => {
  const source = new FakeProject([policy('read own')]);
  const target = new FakeProject([]);
  target.missingFunction = true;
  const { w, out, counts } = watch(source, target);
  await w.look();
  await w.look();
  assert.equal(out.lines.length, 1, JSON.stringify(out.lines));
  assert.equal(out.lines[0]!.level, 'warn');
  assert.match(out.lines[0]!.msg, /^schema watch off: .*20261207130000_sync_app_fingerprint\.sql/);
  assert.deepEqual(counts, []);
  target.missingFunction = false;
  await w.look();
  assert.match(out.lines[1]!.msg, /fingerprint function now; watching/);
  assert.deepEqual(counts, [1]);
});

test('follow: what is missing is applied and logged; a policy that differs or only the target has is not', async () => {
  const source = new FakeProject([policy('read own', 'author_id = auth.uid()'), policy('read published')]);
  const target = new FakeProject([policy('read own'), policy('legacy')]);
  const applied: string[] = [];
  const { w, out, counts } = watch(source, target, (steps) => {
    for (const s of steps) applied.push(s.object);
    target.objects = [...target.objects, policy('read published')];
  });
  await w.look();
  assert.deepEqual(applied, ['policy "read published" on app.posts']);
  const msgs = out.lines.map((l) => l.msg);
  assert.ok(
    msgs.some((m) =>
      m.startsWith(
        'schema follow: applied to the target: policy "read published" on app.posts: CREATE POLICY',
      ),
    ),
    msgs.join('\n'),
  );
  // What remains: the edited policy and the target's own, each with a note that follow leaves it.
  assert.deepEqual(counts, [2]);
  const drift = msgs.filter((m) => m.startsWith('schema drift:'));
  assert.equal(drift.length, 2, drift.join('\n'));
  for (const m of drift) assert.match(m, /schema\.follow applies only what is missing on the target/);
  assert.ok(!msgs.join('\n').includes('secret'), 'the database password is never logged');
  // The target's own change is not taken for a new one: nothing more at the next look.
  await w.look();
  assert.equal(out.lines.length, msgs.length);
});
