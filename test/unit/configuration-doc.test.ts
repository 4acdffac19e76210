import { readFileSync } from 'node:fs';
import path from 'node:path';

// docs/configuration.md lists every environment variable src/config.ts reads, and nothing else: the variables are
// the keys of the zod schema `loadConfig` parses the environment with, the page's rows those of its tables.
const root = path.resolve(__dirname, '../..');

function configVariables(): string[] {
  const source = readFileSync(path.join(root, 'src/config.ts'), 'utf8');
  const start = source.indexOf('const schema = z.object({');
  const end = source.indexOf('\n});', start);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return [...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]*): /gm)].map((m) => m[1]!);
}

function documentedVariables(): string[] {
  const page = readFileSync(path.join(root, 'docs/configuration.md'), 'utf8');
  return [...page.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
}

it('finds the variables of src/config.ts (the parse itself works)', () => {
  const variables = configVariables();
  expect(variables).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'BUS_URL', 'MAX_ITEMS_PER_ORDER']));
  expect(variables.length).toBeGreaterThan(40);
});

it('documents every variable of src/config.ts in docs/configuration.md, once', () => {
  const documented = documentedVariables();
  expect(configVariables().filter((v) => !documented.includes(v))).toEqual([]);
  expect(documented.filter((v, i) => documented.indexOf(v) !== i)).toEqual([]);
});

it('documents no variable in docs/configuration.md that src/config.ts does not read', () => {
  const variables = configVariables();
  expect(documentedVariables().filter((v) => !variables.includes(v))).toEqual([]);
});
