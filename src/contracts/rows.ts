/** Rows and keys as the contracts (ports.ts, range-checksums.ts) pass them. */
import type { TableConfig } from './config.js';

export type Row = Record<string, unknown>;

/** The part of a table (its TableConfig) that reading and writing it needs. */
export type TableRef = Pick<TableConfig, 'schema' | 'table' | 'primaryKeys'>;

/** A primary key's values in key order, as the REST API returns them. */
export type KeyValues = Array<string | number | boolean | null>;

/** A primary-key value as text, in primary-key order: exact for int8/numeric keys (see verify). */
export type KeyTextValues = string[];
