/**
 * The running stack's control channel: `npm run stack -- stop source` (control-client.ts) from
 * another terminal, or `stop source` typed into the stack's own terminal, stops one project and
 * `start source` starts it again (project.ts); `status` says which run. The channel is HTTP on a
 * unix socket in a private temporary folder (mode 0700: only this user reaches it), named in the
 * env file as STACK_CONTROL_SOCKET and removed, under a guard, when the stack stops.
 */
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Socket } from 'node:net';
import { guardPaths } from './guard.js';
import { isProjectName, PROJECT_NAMES, type LocalProject, type ProjectName } from './project.js';

export const CONTROL_ENV = 'STACK_CONTROL_SOCKET';
export const CONTROL_USAGE = 'stop source|target, start source|target, or status';

/** A command's outcome: exit code 0 done, 1 failed, 2 bad usage; its lines. */
export interface ControlResult {
  code: 0 | 1 | 2;
  lines: string[];
}

/** Why `words` is not a command (one line), or the command. */
export function parseCommand(
  words: string[],
): { error: string } | { action: 'status' } | { action: 'stop' | 'start'; project: ProjectName } {
  const [action, project, ...extra] = words;
  if (action === 'status' && project === undefined) return { action };
  if (action !== 'stop' && action !== 'start')
    return { error: `unknown command "${words.join(' ')}": use ${CONTROL_USAGE}` };
  if (project === undefined)
    return { error: `${action} needs a project: ${action} source or ${action} target` };
  if (!isProjectName(project))
    return { error: `unknown project "${project}": use ${PROJECT_NAMES.join(' or ')}` };
  if (extra.length > 0) return { error: `one project at a time: ${action} source or ${action} target` };
  return { action, project };
}

export async function runCommand(
  projects: Record<ProjectName, LocalProject>,
  words: string[],
): Promise<ControlResult> {
  const command = parseCommand(words);
  if ('error' in command) return { code: 2, lines: [command.error] };
  if (command.action === 'status')
    return {
      code: 0,
      lines: PROJECT_NAMES.map((name) => `${name} ${projects[name].running() ? 'running' : 'stopped'}`),
    };
  try {
    const project = projects[command.project];
    return { code: 0, lines: [await (command.action === 'stop' ? project.stop() : project.start())] };
  } catch (error) {
    return { code: 1, lines: [(error as Error).message] };
  }
}

export interface ControlChannel {
  socketPath: string;
  close(): Promise<void>;
}

/** Listens for commands on a new socket; `log` prints each command's lines in the stack's terminal. */
export async function startControl(
  projects: Record<ProjectName, LocalProject>,
  log: (line: string) => void,
): Promise<ControlChannel> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'supabase-sync-stack-'));
  const dirGuard = guardPaths([dir]);
  const socketPath = path.join(dir, 'control.sock');
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body = (body + chunk).slice(0, 1000)));
    req.on('end', () => {
      void runCommand(projects, body.trim().split(/\s+/).filter(Boolean)).then((result) => {
        if (result.code !== 2) for (const line of result.lines) log(line);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  const terminal = listenOnTerminal(projects, log);
  return {
    socketPath,
    close: async () => {
      terminal?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dirGuard.stop();
    },
  };
}

/** In a terminal, the same commands typed on the stack's own stdin (one a line). */
function listenOnTerminal(
  projects: Record<ProjectName, LocalProject>,
  log: (line: string) => void,
): readline.Interface | undefined {
  if (!process.stdin.isTTY) return undefined;
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    void runCommand(projects, words).then((result) => result.lines.forEach((l) => log(l)));
  });
  return lines;
}
