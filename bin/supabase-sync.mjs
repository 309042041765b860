#!/usr/bin/env node
// The `supabase-sync` CLI (src/client.ts), run from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/client.ts');
