import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// The shape of src/ as the layout promises it (architecture.md, issue 10): no module imports itself through others,
// type imports included, and the operator CLI does not drag in the HTTP stack.

const SRC = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module a file imports (TypeScript's own pre-processor: static imports, re-exports, type imports). */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const local: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.')) {
      packages.push(fileName);
      continue;
    }
    const base = path.resolve(path.dirname(file), fileName);
    const resolved = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
    if (resolved) local.push(resolved);
  }
  return { local, packages };
}

const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file).local]));
const rel = (file: string) => path.relative(SRC, file);

/** Every import cycle, each as the path that closes it (depth-first search with an explicit path). */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    trail.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...trail.slice(trail.indexOf(next)), next].map(rel));
      else if (!state.has(next)) visit(next);
    }
    trail.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

it('has no import cycle in src/, type imports included', () => {
  expect(cycles()).toEqual([]);
});

it('finds a cycle when there is one (the check itself works)', () => {
  const [a, b] = [...graph.keys()];
  graph.set(a!, [...graph.get(a!)!, b!]);
  graph.set(b!, [...graph.get(b!)!, a!]);
  try {
    expect(cycles().length).toBeGreaterThan(0);
  } finally {
    graph.set(a!, graph.get(a!)!.slice(0, -1));
    graph.set(b!, graph.get(b!)!.slice(0, -1));
  }
});

it('keeps the projections CLI clear of the HTTP and GraphQL stack', () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const stack = [path.join(SRC, 'projections/cli.ts')];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { local, packages: used } = importsOf(file);
    used.forEach((p) => packages.add(p));
    stack.push(...local);
  }
  const http = ['express', '@apollo/server', '@as-integrations/express5', 'ws', 'graphql-ws', 'cors', 'helmet'];
  expect([...packages].filter((p) => http.some((h) => p === h || p.startsWith(`${h}/`)))).toEqual([]);
});

// One home per table: each table the migrations create is named in SQL (or as a table-name string) by its own
// module only, so its columns, codec and statements cannot drift apart in places nobody looks.
const HOMES: Record<string, string> = {
  streams: 'eventstore/',
  events: 'eventstore/',
  processed_commands: 'eventstore/',
  snapshots: 'eventstore/snapshots.ts',
  projection_checkpoints: 'log/checkpoints.ts',
  orders: 'orders/read-model.ts',
  order_status_counts: 'orders/read-model.ts',
  customers: 'customers/read-model.ts',
  customer_orders: 'customers/read-model.ts',
};

function migratedTables(): string[] {
  const root = path.resolve(__dirname, '../../prisma/migrations');
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => [
      ...fs.readFileSync(path.join(root, d.name, 'migration.sql'), 'utf8').matchAll(/CREATE TABLE "(\w+)"/g),
    ])
    .map((m) => m[1]!);
}

it('gives every table one home in src/, named nowhere else', () => {
  const tables = migratedTables();
  expect(tables.sort()).toEqual(Object.keys(HOMES).sort());
  const files = [...graph.keys()].map((file) => ({ file: rel(file), text: fs.readFileSync(file, 'utf8') }));
  for (const table of tables) {
    // A slice's or a projector's `name: 'orders'` is not the table.
    const named = new RegExp(`(?:FROM|INTO|UPDATE|TABLE|JOIN)\\s+"?${table}\\b|(?<!\\bname)[:=]\\s*'${table}'`);
    const outside = files.filter((f) => named.test(f.text) && !f.file.startsWith(HOMES[table]!)).map((f) => f.file);
    expect({ table, outside }).toEqual({ table, outside: [] });
    expect(files.some((f) => named.test(f.text))).toBe(true);
  }
});
