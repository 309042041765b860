/**
 * `supabase-sync dashboard [--address ip:port] [--refresh S]`: serves the dashboard page
 * (dashboard-server.ts) until Ctrl-C, and prints its address (with the token it needs when bound to
 * another address than loopback). Needs no worker: it reads what `status` and `failover check`
 * read; the lag history is what this process reads at each refresh (a worker with
 * SYNC_DASHBOARD_ADDRESS serves the same page with its feeds' history of the last hour).
 */
import type { Command } from 'commander';
import { dashboardAddress } from '../config/env-values.js';
import { errorMessage } from '../core/errors.js';
import { LagHistory } from '../temporal/lag-history.js';
import { CliError, client, config, interruptSignal, seconds } from './common.js';
import { DEFAULT_REFRESH_SECONDS, serveDashboard } from './dashboard-server.js';
import { withPatternTables } from './targets.js';

export const DEFAULT_DASHBOARD_ADDRESS = '127.0.0.1:9470';

async function dashboard(options: { address: string; refresh: string }): Promise<void> {
  const refreshSeconds = Math.max(1, Math.round(seconds(options.refresh, '--refresh')));
  const parsed = dashboardAddress().safeParse(options.address);
  if (!parsed.success || parsed.data === null)
    throw new CliError(
      `--address "${options.address}": must be a port (on 127.0.0.1) or ip:port, e.g. 127.0.0.1:9470 or 0.0.0.0:9470`,
      2,
    );
  const cfg = await withPatternTables(config());
  const c = await client(cfg);
  const interrupted = interruptSignal();
  try {
    const server = await serveDashboard({
      config: cfg,
      client: c,
      history: new LagHistory(),
      address: parsed.data,
      refreshSeconds,
    }).catch((error: unknown) => {
      throw new CliError(
        `cannot serve the dashboard at ${parsed.data}: ${errorMessage(error)} (choose another --address)`,
      );
    });
    console.log(`dashboard: ${server.url}  (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      if (interrupted.aborted) resolve();
      else interrupted.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
  } finally {
    await c.connection.close();
  }
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      "a web page: failover check's verdict, per table state, lag and its last hour, last pass, rows, drift or error, readiness; buckets; the last verify (no worker needed)",
    )
    .option(
      '--address <ip:port>',
      'where to serve it; an address other than loopback needs the token of the printed URL',
      DEFAULT_DASHBOARD_ADDRESS,
    )
    .option('--refresh <seconds>', 'how often the page reloads itself', String(DEFAULT_REFRESH_SECONDS))
    .action(dashboard);
}
