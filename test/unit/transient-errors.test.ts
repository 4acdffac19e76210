import { isTransient } from '../../src/db/sql-errors';

// A transient error retries the batch; anything else FAILS the projector until an operator retries it. A database
// hiccup must not need an operator; a projector bug must not be retried for ever.

const withCode = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

it.each([
  ['a lost connection (08006)', '08006'],
  ['an administrator shutdown (57P01)', '57P01'],
  ['a serialization failure (40001)', '40001'],
  ['a deadlock (40P01)', '40P01'],
  ['a full disk (53100)', '53100'],
  ['too many connections (53300)', '53300'],
  ['a cancelled statement (57014)', '57014'],
  ['a lock timeout (55P03)', '55P03'],
  ['an I/O error (58030)', '58030'],
])('retries the batch after %s', (_label, code) => {
  expect(isTransient(withCode(code))).toBe(true);
});

it.each([
  ['a numeric overflow (22003)', '22003'],
  ['a unique violation (23505)', '23505'],
  ['an undefined column (42703)', '42703'],
])('fails the projector on %s, which retrying would only repeat', (_label, code) => {
  expect(isTransient(withCode(code))).toBe(false);
});

it('retries after node-postgres loses its connection (no SQLSTATE)', () => {
  expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(isTransient(new TypeError('Cannot read properties of undefined'))).toBe(false);
});
