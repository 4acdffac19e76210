import { Pool } from 'pg';
import { connectionConfig } from '../../src/db/pool';
import { sharedTokenBuckets, type RateLimit, type TokenBuckets } from '../../src/db/rate-limit-buckets';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The mutation rate limit's buckets, on a real database: each instance of the service has its own set, and every
// set on one database draws on the same bucket per caller.

let db: TestDatabase;
let pool: Pool;
const made: TokenBuckets[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new Pool({ ...connectionConfig(db.url), max: 4 });
  pool.on('error', () => undefined);
});
afterAll(async () => {
  for (const buckets of made) buckets.stop();
  await pool.end();
  await db.drop();
});

let callers = 0;
const caller = () => `caller-${++callers}`;

/** One instance's buckets, counting the statements it sends. */
function instance(limit: RateLimit, options: { now?: () => number } = {}) {
  let statements = 0;
  const counted = {
    query: ((text: string, values: unknown[]) => {
      statements++;
      return pool.query(text, values);
    }) as Pool['query'],
  };
  const buckets = sharedTokenBuckets(counted, limit, options);
  made.push(buckets);
  return { take: async (who: string, cost = 1) => buckets.take(who, cost), statements: () => statements };
}

// A token comes back every 1,000 s: within a test a bucket only ever empties, whatever the machine's pace.
const SLOW = { perSecond: 0.001, burst: 4 };

it('gives a caller its burst across instances, not per instance, and then each the time until the next token', async () => {
  const [a, b] = [instance(SLOW), instance(SLOW)];
  const who = caller();
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await (i % 2 ? b : a).take(who));
  expect(answers.slice(0, 4)).toEqual([0, 0, 0, 0]);
  // 1,000 s to the next token, less the few milliseconds since the bucket's last grant.
  for (const waitMs of answers.slice(4)) expect(waitMs).toBeGreaterThan(990_000);
  expect(await a.take(caller())).toBe(0);
});

it('charges an operation of many commands for each, and one of more than the burst a full bucket', async () => {
  const a = instance(SLOW);
  const [one, other] = [caller(), caller()];
  expect(await a.take(one, 3)).toBe(0);
  expect(await a.take(one, 2)).toBeGreaterThan(0);
  expect(await a.take(other, 50)).toBe(0);
  expect(await a.take(other, 1)).toBeGreaterThan(0);
});

it('asks the database once per lease, a tenth of the burst, and not again for a refusal until its time', async () => {
  const time = { t: 0 };
  const a = instance({ perSecond: 0.001, burst: 100 }, { now: () => time.t });
  const who = caller();
  for (let i = 0; i < 100; i++) expect(await a.take(who)).toBe(0);
  expect(a.statements()).toBe(10);
  const waitMs = await a.take(who);
  expect(waitMs).toBeGreaterThan(0);
  for (let i = 0; i < 5; i++) expect(await a.take(who)).toBeGreaterThan(0);
  expect(a.statements()).toBe(11);
  time.t += waitMs;
  await a.take(who);
  expect(a.statements()).toBe(12);
});

it('refills at perSecond, shared', async () => {
  const limit = { perSecond: 20, burst: 2 };
  const [a, b] = [instance(limit), instance(limit)];
  const who = caller();
  expect([await a.take(who), await b.take(who)]).toEqual([0, 0]);
  const waitMs = await a.take(who);
  expect(waitMs).toBeGreaterThan(0);
  expect(waitMs).toBeLessThanOrEqual(50);
  await new Promise((resolve) => setTimeout(resolve, waitMs + 5));
  expect(await b.take(who)).toBe(0);
});

it('grants no token twice when instances ask for one caller at once', async () => {
  const instances = [instance(SLOW), instance(SLOW), instance(SLOW)];
  const who = caller();
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => instances[i % 3]!.take(who)));
  expect(answers.filter((waitMs) => waitMs === 0)).toHaveLength(SLOW.burst);
});

it("draws one lease for a caller's requests that meet an empty lease together, and refuses none of them", async () => {
  // The service's default: 1,000 a second, a burst of 1,000, so a lease of 100.
  const a = instance({ perSecond: 1000, burst: 1000 });
  const who = caller();
  const answers = await Promise.all(Array.from({ length: 32 }, () => a.take(who)));
  expect(answers).toEqual(Array.from({ length: 32 }, () => 0));
  expect(a.statements()).toBe(1);
});
