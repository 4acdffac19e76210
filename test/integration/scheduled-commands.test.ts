import { Pool } from 'pg';
import { msUntilNextDue } from '../../src/scheduling/scheduled-commands';
import { createTestDatabase, type TestDatabase } from '../support/database';

// How long the scheduler may sleep: it waits for the next due time, and with nothing pending for its poll. A table
// with no row has no next due time: answering 0 (due now) would send it round its loop without a pause for ever.

let db: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const schedule = (key: string, command: string, dueIn: string) =>
  pool.query(
    `INSERT INTO scheduled_commands (key, command, input, due_at, causation_id, correlation_id, position)
     VALUES ($1, $2, '{}', now() + $3::interval, gen_random_uuid(), 'correlation', 1)`,
    [key, command, dueIn],
  );

it('has no next due time while nothing is pending, and the time to the earliest otherwise', async () => {
  expect(await msUntilNextDue(pool, ['Remind'])).toBeNull();

  await schedule('later', 'Remind', '1 hour');
  await schedule('sooner', 'Remind', '1 minute');
  await schedule('other', 'SomethingElse', '1 second');
  const ms = await msUntilNextDue(pool, ['Remind']);
  expect(ms).toBeGreaterThan(50_000);
  expect(ms).toBeLessThanOrEqual(60_000);

  await schedule('overdue', 'Remind', '-5 minutes');
  expect(await msUntilNextDue(pool, ['Remind'])).toBe(0);
});
