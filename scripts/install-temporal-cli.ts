import { resolveTemporalCli } from '../devstack/temporal.js';

const cli = await resolveTemporalCli((line) => console.log(line));
console.log(
  cli
    ? `temporal CLI: ${cli.path} (${cli.source})`
    : 'temporal CLI: none found; the stack will fall back to the SDK download (needs internet)',
);
