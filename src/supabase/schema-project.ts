/**
 * A project as the schema watch reads it (src/engine/schema-watch.ts): its tables' catalog, the
 * app's objects around them and their fingerprint, through the migrations' functions. Nothing else
 * of the adapters: no rows, no Realtime.
 */
import type { AppCatalogReader, AppFingerprintReader } from '../contracts/app-catalog.js';
import type { CatalogReader } from '../contracts/ports.js';
import type { ProjectConnection } from './client.js';
import { SupabaseProject } from './project.js';

export type SchemaReader = CatalogReader & AppCatalogReader & AppFingerprintReader;

class SupabaseSchemaReader extends SupabaseProject {}

export function connectSchemaReader(connection: ProjectConnection): SchemaReader {
  return new SupabaseSchemaReader(connection);
}
