/**
 * The structured logger every layer writes to: pino's (JSON lines, one per event). Made by
 * `createLogger` (src/engine/logger.ts); activities, the worker and the metrics are handed one.
 */
import type { Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
