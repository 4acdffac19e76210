// `npm run build`: compiles the service (src/ to dist/) and the fulfillment service (fulfillment/ to
// dist/fulfillment/) with tsc, then copies beside them the files their modules read at run time from their own
// folder: the pages' browser scripts and the fulfillment service's migrations. `node dist/main.js` then needs
// only the production node_modules, schema.graphql and prisma/migrations at the project's root, as the source does.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tsc = join(root, 'node_modules/.bin/tsc');

rmSync(dist, { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'fulfillment/tsconfig.build.json']) {
  execFileSync(tsc, ['-p', project], { cwd: root, stdio: 'inherit' });
}
const assets = [
  ['src/edge/pages', 'edge/pages', (file) => !file.endsWith('.json') && !file.endsWith('.d.ts')],
  ['fulfillment/migrations', 'fulfillment/migrations', () => true],
];
for (const [from, to, wanted] of assets) {
  cpSync(join(root, from), join(dist, to), { recursive: true, filter: (source) => wanted(source) });
}
console.log('built dist/ (node dist/main.js; the fulfillment service: node dist/fulfillment/main.js)');
