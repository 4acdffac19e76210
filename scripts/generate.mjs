// Generates the typed clients from the single sources of truth (prisma/schema.prisma, schema.graphql) into the
// git-ignored src/generated/, and the typed client example's operation types (from its operations.ts) into the
// git-ignored examples/typed-client/gql/, skipping the work when no input changed since the last run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const inputs = [
  'prisma/schema.prisma',
  'schema.graphql',
  'codegen.ts',
  'examples/typed-client/operations.ts',
  'package-lock.json',
];
const outputs = ['src/generated', 'examples/typed-client/gql'];
const stampFile = join(root, 'src/generated/.inputs');
const stamp = createHash('sha256');
for (const file of inputs) {
  const path = join(root, file);
  if (existsSync(path)) stamp.update(readFileSync(path));
}
const digest = stamp.digest('hex');
const outputsExist = outputs.every((dir) => existsSync(join(root, dir)));
if (outputsExist && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) process.exit(0);

const bin = (name) => join(root, 'node_modules/.bin', name);
const env = { ...process.env };
// Prisma's CLI fetches its native schema engine first, which fails offline although `generate` does not use it;
// pointing at any existing file satisfies that check (see scripts/no-schema-engine.sh).
env.PRISMA_SCHEMA_ENGINE_BINARY ??= join(root, 'scripts/no-schema-engine.sh');
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
execFileSync(bin('prisma'), ['generate'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync(bin('graphql-codegen'), ['--config', 'codegen.ts', '--silent'], { cwd: root, env, stdio: 'inherit' });
mkdirSync(dirname(stampFile), { recursive: true });
writeFileSync(stampFile, digest);
console.log('generated src/generated/ (Prisma client, GraphQL types) and examples/typed-client/gql/');
