/**
 * Structured JSON log lines (pino), one per event, with the table in each line where there is one.
 * Secrets never reach a log line: the config's keys are never passed to the logger, and `redact`
 * removes them should an object carrying them be logged by mistake.
 */
import { pino, type DestinationStream } from 'pino';
import type { Logger } from '../contracts/logger.js';

export function createLogger(
  level = process.env.SYNC_LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service: 'supabase-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'serviceRoleKey',
          '*.serviceRoleKey',
          '*.*.serviceRoleKey',
          'apikey',
          'authorization',
          'headers.apikey',
          'headers.authorization',
          'targetDatabaseUrl',
          '*.targetDatabaseUrl',
          'sourceDatabaseUrl',
          '*.sourceDatabaseUrl',
          'databaseUrl',
          '*.databaseUrl',
        ],
        censor: '***',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
