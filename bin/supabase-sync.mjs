#!/usr/bin/env node
// The `supabase-sync` CLI (src/client.ts), run from its bundle (bin/bundled.mjs).
import { runBundled } from './bundled.mjs';

await runBundled('src/client.ts');
