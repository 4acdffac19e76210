import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataKeys, PersonalData, createEventStore, EVENTS_CHANNEL, type EventStore } from '../../src/eventstore';
import { newDataKey } from '../../src/eventstore/field-cipher';
import { masterKey, masterKeys } from '../../src/eventstore/master-keys';
import { EVENT_SCHEMAS, PERSONAL_FIELDS } from '../../src/slices';
import { openStore, type StoreFixture } from '../support/event-store';

const metadata = { correlationId: 'personal-data', causationId: 'personal-data', userId: null };
const [OLD, NEW] = [newDataKey(), newDataKey()];

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore({ masterKeys: masterKeys(OLD) });
});
afterAll(() => f.close());

/** A store on the same database whose data keys are `keys`' (another instance, or one after rotation). */
const storeWith = (keys: DataKeys): EventStore =>
  createEventStore(f.prisma, f.pool, f.notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS, {
    personalData: new PersonalData(keys, PERSONAL_FIELDS),
  });

async function register(store: EventStore, name: string, email: string): Promise<string> {
  const id = randomUUID();
  await store.append({
    aggregateId: id,
    aggregateType: 'Customer',
    expectedVersion: 'no-stream',
    events: [{ eventType: 'CustomerRegistered', payload: { name, email } }],
    metadata,
    ownerId: id,
  });
  return id;
}

const storedPayloads = async (aggregateId: string) =>
  (
    await f.pool.query<{ payload: Record<string, unknown> }>(
      'SELECT payload FROM events WHERE aggregate_id = $1 ORDER BY version',
      [aggregateId],
    )
  ).rows.map((r) => r.payload);

it('stores personal fields sealed and serves them in the clear on every read', async () => {
  const id = await register(f.store, 'Grace Hopper', 'grace@example.com');
  const [stored] = await storedPayloads(id);
  expect(JSON.stringify(stored)).not.toMatch(/Grace|grace@/);
  expect(stored).toEqual({ name: { $enc: expect.stringMatching(/^v1:[0-9a-f-]{36}:/) }, email: expect.anything() });

  const plain = { name: 'Grace Hopper', email: 'grace@example.com' };
  expect((await f.store.readStream(id))[0]).toMatchObject({ payload: plain, personalDataErased: false });
  const page = await f.store.readLog(0n, 1000, { aggregateId: id });
  expect(page.events[0]!.payload).toEqual(plain);
  const [byId] = await f.store.readEvents([page.events[0]!.eventId]);
  expect(byId!.payload).toEqual(plain);
  const loaded = await f.store.loadStream(id, { aggregateType: 'Customer', snapshotVersion: 2 });
  expect(loaded.events[0]!.payload).toEqual(plain);
  // Another instance, with no key cached, reads it too.
  expect((await storeWith(new DataKeys(f.prisma, masterKeys(OLD))).readStream(id))[0]!.payload).toEqual(plain);
});

it('answers an append with its events in the clear', async () => {
  const id = randomUUID();
  const result = await f.store.append({
    aggregateId: id,
    aggregateType: 'Customer',
    expectedVersion: 'no-stream',
    events: [{ eventType: 'CustomerRegistered', payload: { name: 'Ada', email: 'ada@example.com' } }],
    metadata,
    ownerId: id,
  });
  expect(result.events[0]!.payload).toEqual({ name: 'Ada', email: 'ada@example.com' });
});

it('seals snapshots whole, and folds from the events once their key is deleted', async () => {
  const id = await register(f.store, 'Alan Turing', 'alan@example.com');
  const state = { name: 'Alan Turing', at: new Date('2026-01-02T03:04:05Z'), position: 12n };
  expect(
    await f.store.saveSnapshot({ aggregateId: id, aggregateType: 'Customer', version: 1, snapshotVersion: 2, state }),
  ).toBe(true);
  const row = await f.pool.query<{ state: unknown }>('SELECT state FROM snapshots WHERE aggregate_id = $1', [id]);
  expect(JSON.stringify(row.rows[0]!.state)).not.toContain('Alan');
  expect((await f.store.loadSnapshot(id))?.state).toEqual(state);
  const fit = { aggregateType: 'Customer', snapshotVersion: 2 };
  expect(await f.store.loadStream(id, fit)).toMatchObject({ snapshot: { version: 1, state }, events: [] });

  await f.dataKeys!.erase(id);
  expect(await f.store.loadSnapshot(id)).toBeUndefined();
  const loaded = await f.store.loadStream(id, fit);
  expect(loaded.snapshot).toBeUndefined();
  expect(loaded.events[0]).toMatchObject({ payload: { name: null, email: null }, personalDataErased: true });
});

it('serves a forgotten subject’s fields as null and seals nothing new for it', async () => {
  const id = await register(f.store, 'Katherine Johnson', 'katherine@example.com');
  await f.dataKeys!.erase(id);
  await f.dataKeys!.erase(id);
  expect((await f.store.readStream(id))[0]).toMatchObject({
    payload: { name: null, email: null },
    personalDataErased: true,
  });
  await f.store.append({
    aggregateId: id,
    aggregateType: 'Customer',
    expectedVersion: 1,
    events: [{ eventType: 'CustomerDeactivated', payload: { reason: 'typed by Katherine' } }],
    metadata,
    ownerId: id,
  });
  expect((await storedPayloads(id))[1]).toEqual({ reason: { $erased: true } });
  expect((await f.store.readStream(id))[1]).toMatchObject({ payload: { reason: null }, personalDataErased: true });
  const key = await f.pool.query('SELECT wrapped_key, deleted_at FROM data_keys WHERE subject_id = $1', [id]);
  expect(key.rows).toEqual([{ wrapped_key: null, deleted_at: expect.any(Date) }]);
});

it('refuses a tampered value rather than serving it', async () => {
  const id = await register(f.store, 'Hedy Lamarr', 'hedy@example.com');
  await f.pool.query(
    `UPDATE events SET payload = jsonb_set(payload, '{email}', payload->'name') WHERE aggregate_id = $1`,
    [id],
  );
  await expect(f.store.readStream(id)).rejects.toThrow();
});

it('rotates the master key: every data key rewrapped, readable with the new key alone', async () => {
  const id = await register(f.store, 'Barbara Liskov', 'barbara@example.com');
  const during = new DataKeys(f.prisma, masterKeys(NEW, [OLD]));
  expect(await during.rotate()).toBeGreaterThanOrEqual(1);
  expect(await during.rotate()).toBe(0);
  const after = storeWith(new DataKeys(f.prisma, masterKeys(NEW)));
  expect((await after.readStream(id))[0]!.payload).toEqual({ name: 'Barbara Liskov', email: 'barbara@example.com' });
  const before = storeWith(new DataKeys(f.prisma, masterKeys(OLD)));
  await expect(before.readStream(id)).rejects.toThrow(/neither DATA_KEY nor in DATA_KEY_PREVIOUS/);
});

it('rotates with one command: npm run keys -- rotate, DATA_KEY the new key, DATA_KEY_PREVIOUS the old', async () => {
  const id = await register(storeWith(new DataKeys(f.prisma, masterKeys(NEW))), 'Frances Allen', 'frances@example.com');
  const NEWER = newDataKey();
  const root = path.resolve(__dirname, '../..');
  const { stdout } = await promisify(execFile)(
    path.join(root, 'node_modules/.bin/tsx'),
    [path.join(root, 'src/eventstore/cli.ts'), 'rotate'],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: f.db.url,
        DATA_KEY: NEWER.toString('hex'),
        DATA_KEY_PREVIOUS: `${NEW.toString('base64')},${OLD.toString('base64')}`,
      },
    },
  );
  expect(stdout).toMatch(/^rewrapped [1-9]\d* data keys with the current DATA_KEY$/m);
  const masters = await f.pool.query('SELECT DISTINCT master_key_id FROM data_keys WHERE wrapped_key IS NOT NULL');
  expect(masters.rows).toEqual([{ master_key_id: masterKey(NEWER).id }]);
  const after = storeWith(new DataKeys(f.prisma, masterKeys(NEWER)));
  expect((await after.readStream(id))[0]!.payload).toEqual({ name: 'Frances Allen', email: 'frances@example.com' });
}, 60_000);
