/**
 * `npm run stack -- stop source` (or `start source`, `status`; `--env-file F` for a stack started
 * with it): sends the command to the running stack through the control socket its env file names
 * (control.ts) and prints the stack's answer. Exit 0 done, 1 failed (or no stack answers), 2 bad usage.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { parse } from 'dotenv';
import { CONTROL_ENV, parseCommand, type ControlResult } from './control.js';

/** Long enough for a Postgres to start again. */
const ANSWER_TIMEOUT_MS = 60_000;

function send(socketPath: string, words: string[]): Promise<ControlResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: '/', timeout: ANSWER_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as ControlResult);
        } catch {
          reject(new Error(`an answer that is not the stack's (HTTP ${res.statusCode})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(words.join(' '));
  });
}

/** Runs one command against the stack of `envFile`; prints its lines; returns the exit code. */
export async function controlCommand(envFile: string, words: string[]): Promise<number> {
  const fail = (code: number, line: string) => {
    console.error(`stack: ${line}`);
    return code;
  };
  const command = parseCommand(words);
  if ('error' in command) return fail(2, command.error);
  let text: string;
  try {
    text = await readFile(envFile, 'utf8');
  } catch {
    return fail(
      1,
      `no running stack: ${envFile} does not exist (start one with npm run stack, or pass the --env-file it was started with)`,
    );
  }
  const socketPath = parse(text)[CONTROL_ENV];
  if (!socketPath)
    return fail(1, `${envFile} names no ${CONTROL_ENV}: it is not the env file of a running npm run stack`);
  let result: ControlResult;
  try {
    result = await send(socketPath, words);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return fail(1, `the stack of ${envFile} does not answer (${reason}): is it still running?`);
  }
  for (const line of result.lines) {
    if (result.code === 0) console.log(line);
    else console.error(`stack: ${line}`);
  }
  return result.code;
}
