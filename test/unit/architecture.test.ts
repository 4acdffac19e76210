import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// The shape of src/ as docs/architecture.md draws it: no module imports itself through others, type
// imports included; folders import only downwards, from the edge to the shared ground; the operator CLI does not
// drag in the HTTP stack.

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

/** Every import cycle of `graph`, each as the path that closes it (depth-first search with an explicit path). */
function cycles(graph: Map<string, string[]>, name: (node: string) => string = rel): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    trail.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...trail.slice(trail.indexOf(next)), next].map(name));
      else if (!state.has(next)) visit(next);
    }
    trail.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

it('has no import cycle in src/, type imports included', () => {
  expect(cycles(graph)).toEqual([]);
});

it('finds a cycle when there is one (the check itself works)', () => {
  const [a, b] = [...graph.keys()];
  graph.set(a!, [...graph.get(a!)!, b!]);
  graph.set(b!, [...graph.get(b!)!, a!]);
  try {
    expect(cycles(graph).length).toBeGreaterThan(0);
  } finally {
    graph.set(a!, graph.get(a!)!.slice(0, -1));
    graph.set(b!, graph.get(b!)!.slice(0, -1));
  }
});

/**
 * The layers of src/, from the top: a module may import from its own unit (a folder, or a file at the root) or
 * from a unit of a lower layer, never sideways or upwards. The slices are two layers, so that orders may read
 * customers and customers never reads orders. Entry points (main.ts, app.ts, slices.ts and every cli.ts) compose
 * the whole and sit above it all.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['main.ts'],
  ['app.ts'],
  ['slices.ts'],
  ['edge'],
  ['graphql'],
  ['orders'],
  ['customers'],
  // What every resolver is written against (the per-operation context, cursors, pages, loaders, read-your-writes,
  // command meta) and what a slice is: below the slices, above the log they are built over.
  ['slice.ts'],
  ['graphql-kit'],
  ['services.ts'],
  ['subscriptions', 'relay', 'scheduling'],
  ['reactions'],
  ['projections'],
  ['log'],
  ['bus', 'commands'],
  ['eventstore'],
  ['auth', 'observability', 'db'],
  ['config.ts', 'logger.ts', 'node-support.ts'],
  ['shared'],
];

/** The unit a file belongs to: an entry point, its folder under src/, or itself at the root. */
function unitOf(file: string): string {
  const [head, ...rest] = rel(file).split(path.sep);
  if (rest.length === 0) return head!;
  return path.basename(file) === 'cli.ts' ? 'main.ts' : head!;
}

const layerOf = (unit: string) => LAYERS.findIndex((layer) => layer.includes(unit));

/** Code generated from schema.graphql and the Prisma schema: its type mappers name every layer by design. */
const generated = (file: string) => rel(file).startsWith(`generated${path.sep}`);

/** Every import between modules, less the generated code. */
const imports = () =>
  [...graph].flatMap(([file, targets]) =>
    targets.filter((target) => !generated(target)).map((target) => [file, target] as const),
  );

function unitGraph(): Map<string, string[]> {
  const units = new Map<string, Set<string>>([...graph.keys()].map((file) => [unitOf(file), new Set<string>()]));
  for (const [file, target] of imports())
    if (unitOf(target) !== unitOf(file)) units.get(unitOf(file))!.add(unitOf(target));
  return new Map([...units].map(([unit, to]) => [unit, [...to]]));
}

/** Every file's import that goes sideways or upwards between units, as `file -> imported file`. */
function wrongDirection(): string[] {
  return imports()
    .filter(([file, target]) => unitOf(target) !== unitOf(file) && layerOf(unitOf(target)) <= layerOf(unitOf(file)))
    .map(([file, target]) => `${rel(file)} -> ${rel(target)}`);
}

it('places every folder of src/ in a layer', () => {
  expect([...unitGraph().keys()].filter((unit) => layerOf(unit) < 0)).toEqual([]);
});

it('has no folder-level import cycle', () => {
  expect(cycles(unitGraph(), (unit) => unit)).toEqual([]);
});

it('imports only downwards between folders, and between the slices only from orders to customers', () => {
  expect(wrongDirection()).toEqual([]);
});

it('finds a folder-level cycle and a wrong-direction import when there is one (the checks themselves work)', () => {
  const file = (name: string) => path.join(SRC, name);
  const [from, to] = [file('customers/commands.ts'), file('orders/commands.ts')];
  const before = graph.get(from)!;
  graph.set(from, [...before, to]);
  try {
    expect(wrongDirection()).toEqual(['customers/commands.ts -> orders/commands.ts']);
    expect(cycles(unitGraph(), (unit) => unit)).toEqual([['customers', 'orders', 'customers']]);
  } finally {
    graph.set(from, before);
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
  data_keys: 'eventstore/data-keys.ts',
  projection_checkpoints: 'log/checkpoints.ts',
  parked_events: 'log/parked.ts',
  orders: 'orders/read-model.ts',
  order_status_counts: 'orders/read-model.ts',
  customers: 'customers/read-model.ts',
  customer_orders: 'customers/read-model.ts',
  scheduled_commands: 'scheduling/scheduled-commands.ts',
  rate_limit_buckets: 'db/rate-limit-buckets.ts',
};

function migratedTables(): string[] {
  const root = path.resolve(__dirname, '../../prisma/migrations');
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => [
      ...fs
        .readFileSync(path.join(root, d.name, 'migration.sql'), 'utf8')
        .matchAll(/CREATE (?:UNLOGGED )?TABLE "(\w+)"/g),
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
