/**
 * `schema push`'s writer: runs the statements that make the target's schema match, in one
 * transaction on the target's database (postgres:// URL, as the non-superuser `postgres` of a hosted
 * project), so a statement that fails leaves nothing applied. Function bodies are checked when they
 * run, not when created (check_function_bodies off, as pg_dump's output does): a function may name a
 * view created after it.
 */
import pg from 'pg';
import { errorMessage } from '../core/errors.js';
import type { SchemaStep } from '../core/schema-plan.js';
import { redactDatabaseUrl, redactIn } from './migrations.js';

export class SchemaApplyError extends Error {}

/** A database that does not answer fails the connection after this (an IPv6-only host from IPv4, a firewall). */
const CONNECT_TIMEOUT_MS = 15_000;

/** Applies every step, or none: throws SchemaApplyError naming the step's object on a failure. */
export async function applySchemaSteps(databaseUrl: string, steps: SchemaStep[]): Promise<void> {
  const where = redactDatabaseUrl(databaseUrl);
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new SchemaApplyError(
      `could not connect to ${where}: ${redactIn(errorMessage(error), databaseUrl)}`,
    );
  }
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL check_function_bodies = off');
    for (const step of steps) {
      for (const sql of step.sql) {
        try {
          await client.query(sql);
        } catch (error) {
          throw new SchemaApplyError(
            `${step.object}: ${redactIn(errorMessage(error), databaseUrl)}; nothing was applied to ${where}`,
          );
        }
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof SchemaApplyError) throw error;
    throw new SchemaApplyError(
      `${where}: ${redactIn(errorMessage(error), databaseUrl)}; nothing was applied`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
