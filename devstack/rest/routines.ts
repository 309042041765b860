/** Picks the function an rpc call means: schema + name + the set of argument names (PostgREST's rule). */
import { RestError } from './errors.js';
import type { Routine } from './schema-cache.js';

export interface Resolved {
  routine: Routine;
  /** Keys that are arguments; for GET the rest are filters. */
  argNames: string[];
}

/**
 * POST: every key must be an argument. GET/HEAD (`keysMayBeFilters`): keys that are not arguments are
 * filters, and the candidate using the most keys wins. Required arguments must always be given.
 */
export function resolveRoutine(
  candidates: readonly Routine[],
  keys: readonly string[],
  keysMayBeFilters: boolean,
): Resolved | null | Routine[] {
  let best: Resolved[] = [];
  for (const routine of candidates) {
    const names = new Set(routine.args.map((a) => a.name));
    const argNames = keys.filter((k) => names.has(k));
    if (!keysMayBeFilters && argNames.length !== keys.length) continue;
    if (routine.args.some((a) => !a.hasDefault && !argNames.includes(a.name))) continue;
    if (best.length === 0 || argNames.length > (best[0]?.argNames.length ?? 0))
      best = [{ routine, argNames }];
    else if (argNames.length === best[0]?.argNames.length) best.push({ routine, argNames });
  }
  if (best.length === 1) return best[0] ?? null;
  if (best.length > 1) return best.map((b) => b.routine);
  return null;
}

export function routineNotFound(schema: string, name: string, keys: readonly string[]): RestError {
  const sorted = [...keys].sort();
  const params = sorted.length ? `with parameters ${sorted.join(', ')}` : 'without parameters';
  return new RestError(
    404,
    'PGRST202',
    `Could not find the function ${schema}.${name}(${sorted.join(', ')}) in the schema cache`,
    {
      details: `Searched for the function ${schema}.${name} ${params} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    },
  );
}

export function routineAmbiguous(schema: string, name: string, routines: readonly Routine[]): RestError {
  const list = routines.map(
    (r) => `${schema}.${name}(${r.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`,
  );
  return new RestError(
    300,
    'PGRST203',
    `Could not choose the best candidate function between: ${list.join(', ')}`,
    {
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    },
  );
}
