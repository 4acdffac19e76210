import { ListMembership, LiveListTooLarge, type ListChange } from '../../src/subscriptions/list-membership';
import { RowUpdates, SubscriberTooSlow } from '../../src/subscriptions/row-updates';

type Row = { id: string; version: number; status: string };
const row = (id: string, version: number, status: string): Row => ({ id, version, status });
const placed = (r: Row) => r.status === 'PLACED';

/** A PLACED list's subscriber as the feed drives it: rows pushed as they change, messages taken when the client reads. */
function placedList(limit = 10) {
  const membership = new ListMembership(placed, limit);
  const updates = new RowUpdates<Row, ListChange<Row> | LiveListTooLarge>(100, () => undefined, membership);
  return { membership, updates };
}

async function drain(updates: AsyncIterable<ListChange<Row> | LiveListTooLarge | SubscriberTooSlow>) {
  const out: string[] = [];
  for await (const m of updates) {
    if (m instanceof LiveListTooLarge) out.push(`TOO_LARGE ${m.limit}`);
    else if (m instanceof SubscriberTooSlow) out.push('TOO_SLOW');
    else out.push(`${m.change} ${m.row.id}@${m.row.version}`);
  }
  return out;
}

describe('ListMembership (what a live list tells its client)', () => {
  it('adds an order that enters, updates one that stays, removes one that leaves, and ignores the rest', async () => {
    const { updates } = placedList();
    updates.seed([row('held', 1, 'PLACED')]);
    expect((await updates.next()).value).toMatchObject({ change: 'ADDED', row: { id: 'held' } });
    updates.push(row('held', 2, 'PLACED'));
    expect((await updates.next()).value).toMatchObject({ change: 'UPDATED', row: { id: 'held', version: 2 } });
    updates.push(row('other', 3, 'SHIPPED'));
    updates.push(row('held', 3, 'PAID'));
    updates.push(row('held', 4, 'SHIPPED'));
    updates.end();
    // `held` is removed once, with the row as it now stands; an order never in the list is never mentioned.
    expect(await drain(updates)).toEqual(['REMOVED held@4']);
  });

  it('judges changes combined while the client lags by what it was told, not by each step', async () => {
    const { updates } = placedList();
    // Placed and paid before the client read either: it never held the order, so nothing.
    updates.push(row('quick', 1, 'PLACED'));
    updates.push(row('quick', 2, 'PAID'));
    // Paid and cancelled after it was listed: one REMOVED.
    updates.seed([row('listed', 1, 'PLACED')]);
    expect((await updates.next()).value).toMatchObject({ change: 'ADDED', row: { id: 'listed' } });
    updates.push(row('listed', 2, 'PAID'));
    updates.push(row('listed', 3, 'CANCELLED'));
    updates.end();
    expect(await drain(updates)).toEqual(['REMOVED listed@3']);
  });

  it('keeps watching an order it holds after it stops matching, and never goes back a version', async () => {
    const { membership, updates } = placedList();
    updates.seed([row('a', 2, 'PLACED')]);
    expect(membership.holds('a')).toBe(false); // waiting, not yet told
    await updates.next();
    expect(membership.holds('a')).toBe(true);
    updates.push(row('a', 1, 'PLACED')); // older than what the client holds: dropped
    updates.push(row('a', 3, 'PAID'));
    await updates.next();
    expect(membership.holds('a')).toBe(false);
    updates.end();
    expect(await drain(updates)).toEqual([]);
  });

  it('ends the list with LiveListTooLarge when one more order would pass the limit', async () => {
    const { updates } = placedList(2);
    updates.seed([row('a', 1, 'PLACED'), row('b', 1, 'PLACED')]);
    updates.push(row('c', 1, 'PLACED'));
    updates.push(row('d', 1, 'PLACED'));
    expect(await drain(updates)).toEqual(['ADDED a@1', 'ADDED b@1', 'TOO_LARGE 2']);
  });
});
