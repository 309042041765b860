// @ts-check
import { builtinModules } from 'node:module';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// Every Node built-in module (`fs`, `node:fs`, `fs/promises`, …), from Node itself.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));

// The layers of src/, bottom to top (docs/architecture.md, "Layers"): a file imports only from its
// own layer or lower ones. The contracts (types and ports) are at the bottom; the entry points on top.
const layers = [
  ['src/contracts'],
  ['src/core'],
  ['src/config'],
  ['src/supabase'],
  ['src/activities'],
  ['src/workflows'],
  ['src/temporal'],
  ['src/worker.ts'],
  ['src/engine'],
  ['src/cli'],
  ['src/client.ts', 'src/sync.ts', 'src/start.ts', 'src/codec-server.ts'],
];
// One zone per layer: nothing of a higher layer may be imported into it.
const layerZones = layers.slice(0, -1).map((layer, i) => ({
  target: layer,
  from: layers.slice(i + 1).flat(),
  message: `${layer.join(', ')} (layer ${i}) imports only from its own layer or lower ones (docs/architecture.md, "Layers").`,
}));

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.stack/**', 'bench/results/**', 'scratch/**', 'lib/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // No import circle in src/, and no import from a lower layer to a higher one. The TypeScript
    // resolver resolves the `.js` specifiers of the sources to their `.ts` files.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` }),
      ],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
    },
  },
  {
    // Workflows stand above the activities but take only their types (`proxyActivities<SyncActivities>`,
    // the Temporal pattern): the activities' code, with its Node built-ins and clients, never enters
    // the workflow bundle. The layer rule cannot tell a type import from a value import; this one can.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)activities(/|$)',
              allowTypeImports: true,
              message: 'Workflow code may import only the types of the activities (import type).',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, there or in the
    // shared pieces it imports (src/core, src/contracts).
    files: ['src/workflows/**/*.ts', 'src/core/**/*.ts', 'src/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((m) => [
            { name: m, message: 'Workflow code must be deterministic: no Node built-ins.' },
            { name: `node:${m}`, message: 'Workflow code must be deterministic: no Node built-ins.' },
          ]),
          patterns: [
            { group: ['node:*'], message: 'Workflow code must be deterministic: no Node built-ins.' },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
