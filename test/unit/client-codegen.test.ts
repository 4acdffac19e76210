import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_FILE } from '../../src/graphql/schema';

// What a typed client gets from schema.graphql: GraphQL Code Generator's client preset (as a frontend would set it
// up) types the operations in test/client-codegen/operations.graphql, and test/client-codegen/usage.ts, code using
// their results (with misuses that must not compile), type-checks against them.
const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test/client-codegen');

const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });

let dir: string;
beforeAll(() => {
  // Inside the repository (git-ignored .scratch/) so that the generated code resolves its imports from node_modules.
  mkdirSync(path.join(root, '.scratch'), { recursive: true });
  dir = mkdtempSync(path.join(root, '.scratch', 'client-codegen-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('generates types for the operations a frontend writes, and code using them type-checks', async () => {
  for (const file of ['operations.graphql', 'usage.ts']) copyFileSync(path.join(fixtures, file), path.join(dir, file));
  // The CLI in its own process, as a project runs it (it is ESM-only in parts, which Jest's CommonJS cannot load).
  const config = {
    schema: SCHEMA_FILE,
    documents: path.join(dir, 'operations.graphql'),
    generates: {
      [path.join(dir, 'gql/')]: {
        preset: 'client',
        presetConfig: { fragmentMasking: false },
        config: {
          enumsAsTypes: true,
          scalars: { DateTime: 'string', JSON: 'unknown', Decimal: 'string', Position: 'string', ID: 'string' },
        },
      },
    },
  };
  writeFileSync(path.join(dir, 'codegen.json'), JSON.stringify(config));
  const codegen = run(
    path.join(root, 'node_modules/@graphql-codegen/cli/cjs/bin.js'),
    '--config',
    path.join(dir, 'codegen.json'),
    '--silent',
  );
  expect(codegen.stderr).toBe('');
  expect(codegen.status).toBe(0);
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        skipLibCheck: true,
        types: [],
      },
      include: ['*.ts', 'gql/*.ts'],
    }),
  );
  const tsc = run(path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir);
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 120_000);
