/**
 * The chaos suite's second workload: the SaaS app of test/support/app-schema.ts (identity keys,
 * unique emails and slugs, cascades, a partitioned table, a private table without grants), changed
 * by a few concurrent clients the way such an app is (AppChurn: unique values swapped, reused and
 * renamed in chains, organisations deleted with their rows), plus now and then a TRUNCATE of the
 * events table and, once per run, a column added on the source and a few seconds later on the
 * target (the table is blocked meanwhile, then catches up). Seeds choose it with `--workload app`.
 */
import pg from 'pg';
import { AppChurn, appSchema, createAppSchema, type AppSchema } from '../support/app-schema.js';
import type { Rng, WorkloadStats } from './workload.js';

export interface AppWorkload {
  schema: AppSchema;
  /** `schema.table` and key, as the scenario compares them. */
  tables: Array<{ name: string; primaryKeys: string[] }>;
}

export function appWorkload(suffix: string): AppWorkload {
  const schema = appSchema(`chaos_${suffix}`);
  return {
    schema,
    tables: schema.tables.map((t) => ({ name: t.qualifiedName, primaryKeys: t.primaryKeys })),
  };
}

export async function createAppWorkload(
  w: AppWorkload,
  sourceUrl: string,
  targetUrl: string,
  source: pg.Pool,
  rng: Rng,
): Promise<void> {
  await createAppSchema(w.schema, [sourceUrl, targetUrl]);
  await new AppChurn(w.schema, source, rng.int(1, 1e9)).seed(6);
}

export async function runAppWorkload(options: {
  w: AppWorkload;
  source: pg.Pool;
  target: pg.Pool;
  rng: Rng;
  clients: number;
  until: () => number;
  log: (line: string) => void;
}): Promise<WorkloadStats> {
  const { w, source, target, rng } = options;
  const stats: WorkloadStats = { ops: 0, failed: 0, byKind: {} };
  const count = (kind: string) => {
    stats.ops++;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
  };
  let columnAdded = false;
  const client = async (r: Rng) => {
    const churn = new AppChurn(w.schema, source, r.int(1, 1e9));
    while (Date.now() < options.until()) {
      try {
        if (r.chance(0.03)) {
          await source.query(`TRUNCATE ${w.schema.events}`);
          count('truncate events');
        } else if (!columnAdded && r.chance(0.02)) {
          columnAdded = true;
          await source.query(
            `ALTER TABLE ${w.schema.invoices} ADD COLUMN chaos_note text DEFAULT 'added mid-run'`,
          );
          count('add column on the source');
          // The person who sees the table blocked adds it to the target a few seconds later.
          setTimeout(() => {
            target
              .query(`ALTER TABLE ${w.schema.invoices} ADD COLUMN chaos_note text DEFAULT 'added mid-run'`)
              .then(() => options.log('  the added column is now on the target too'))
              .catch((e: unknown) => options.log(`  could not add the column on the target: ${String(e)}`));
          }, 3000).unref();
        } else {
          count(await churn.step());
        }
      } catch {
        // A step that meets a concurrent client's change (a deleted organisation) is refused: fine.
        stats.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, () => client(rng.fork())));
  return stats;
}

export async function dropAppWorkload(w: AppWorkload, pools: pg.Pool[]): Promise<void> {
  for (const pool of pools) {
    for (const t of [...w.tables].reverse()) await pool.query(`DROP TABLE IF EXISTS ${t.name} CASCADE`);
  }
}
