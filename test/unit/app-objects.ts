/** App objects (src/contracts/app-catalog.ts) the schema watch's and follow's unit tests build on. */
import type { AppObject } from '../../src/contracts/app-catalog.js';

/** A SELECT policy for `authenticated` on app.posts. */
export const policy = (name: string, using = 'true'): AppObject => ({
  kind: 'policy',
  schema: 'app',
  table: 'posts',
  name,
  permissive: true,
  command: 'SELECT',
  roles: ['authenticated'],
  using,
  check: null,
});
