/**
 * Where environment variables come from: an env file (default `.env.sync`, or SYNC_ENV_PATH) read
 * with dotenv's `parse`, overridden by the real environment. process.env is never modified. Empty
 * (or whitespace-only) values count as unset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError, show } from './errors.js';
import { errorMessage } from '../core/errors.js';

export const DEFAULT_ENV_FILE = '.env.sync';

export interface LoadOptions {
  /** Defaults to process.env (read only). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.cwd(). Relative paths (env file, tables file) resolve against it. */
  cwd?: string;
}

export interface EnvSources {
  /** Merged values: real environment over the env file; empty values left out. */
  values: Record<string, string>;
  /** Where each merged value came from. */
  origin: Record<string, 'file' | 'environment'>;
  /** The env file's own values (empty ones left out), also those the environment overrides. */
  fileValues: Record<string, string>;
  /** Absolute path of the env file read, if one was. */
  envFile: string | undefined;
  /** The env file as named in messages (`.env.sync` or SYNC_ENV_PATH as given). */
  envFileLabel: string;
  cwd: string;
}

/** Reads the env file (if any) and merges it under the real environment. */
export function readEnvSources(options: LoadOptions = {}): EnvSources {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const explicit = env.SYNC_ENV_PATH?.trim();
  const envFileLabel = explicit ? explicit : DEFAULT_ENV_FILE;
  const absolute = path.resolve(cwd, envFileLabel);

  let fileValues: Record<string, string> = {};
  let envFile: string | undefined;
  let text: string | undefined;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit) {
      const why =
        code === 'ENOENT'
          ? `file not found (${absolute})`
          : code === 'EISDIR'
            ? `is a directory (${absolute})`
            : `cannot be read (${code ?? errorMessage(err)})`;
      throw new ConfigError(
        `SYNC_ENV_PATH=${show(explicit)}: ${why}; create it (see sync/env.sync.example) or unset SYNC_ENV_PATH to use ${DEFAULT_ENV_FILE}`,
        { cause: err },
      );
    }
    if (code !== 'ENOENT') {
      throw new ConfigError(
        `${DEFAULT_ENV_FILE}: cannot be read (${code ?? errorMessage(err)}); fix its permissions or remove it`,
        { cause: err },
      );
    }
  }
  if (text !== undefined) {
    fileValues = parseDotenv(text);
    envFile = absolute;
  }

  const values: Record<string, string> = {};
  const origin: Record<string, 'file' | 'environment'> = {};
  const fromFile: Record<string, string> = {};
  for (const [name, raw] of Object.entries(fileValues)) {
    const value = raw.trim();
    if (value !== '') {
      values[name] = value;
      origin[name] = 'file';
      fromFile[name] = value;
    }
  }
  for (const [name, raw] of Object.entries(env)) {
    const value = raw?.trim();
    if (value !== undefined && value !== '') {
      values[name] = value;
      origin[name] = 'environment';
    }
  }
  return { values, origin, fileValues: fromFile, envFile, envFileLabel, cwd };
}
