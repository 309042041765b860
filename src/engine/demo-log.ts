/**
 * Where the demo's worker writes its JSON log. The demo's screen is for people: its own lines only.
 * The worker's log (the Temporal SDK's lines with it) goes to a file in the data folder, unless the
 * user asks for it on the screen with `--verbose` (level info) or `SYNC_LOG_LEVEL` (that level).
 */
import path from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../contracts/logger.js';
import { createLogger } from './logger.js';

export interface DemoLog {
  logger: Logger;
  /** The file the log goes to, or undefined when it is on the screen. */
  file: string | undefined;
}

export function demoLog(options: { dataDir: string; verbose: boolean; level: string }): DemoLog {
  const asked = process.env.SYNC_LOG_LEVEL?.trim();
  if (options.verbose || asked) return { logger: createLogger(options.level), file: undefined };
  const file = path.join(options.dataDir, 'worker.log');
  return { logger: createLogger(options.level, pino.destination({ dest: file, sync: true })), file };
}
