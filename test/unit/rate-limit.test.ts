import { buildSchema, getOperationAST, parse } from 'graphql';
import type { GraphQLContext } from '../../src/graphql-kit/context';
import { rateLimitMutations, tokenBuckets } from '../../src/edge/rate-limit';

/** A clock the test moves by hand: the buckets' arithmetic, without waiting on a real one. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('token buckets per caller', () => {
  it('gives each caller its burst, then refuses with the time until the next token, then refills at perSecond', () => {
    const time = clock();
    const buckets = tokenBuckets({ perSecond: 2, burst: 3 }, { now: time.now });
    expect([1, 1, 1].map(() => buckets.take('a', 1))).toEqual([0, 0, 0]);
    expect(buckets.take('a', 1)).toBe(500);
    expect(buckets.take('b', 1)).toBe(0);
    time.advance(499);
    expect(buckets.take('a', 1)).toBe(1);
    time.advance(1);
    expect(buckets.take('a', 1)).toBe(0);
  });

  it('charges an operation of many commands for each, and one of more than the burst a full bucket', () => {
    const time = clock();
    const buckets = tokenBuckets({ perSecond: 1, burst: 5 }, { now: time.now });
    expect(buckets.take('a', 4)).toBe(0);
    expect(buckets.take('a', 2)).toBe(1000);
    time.advance(4000);
    expect(buckets.take('a', 50)).toBe(0);
    expect(buckets.take('a', 1)).toBe(1000);
  });

  it('forgets a caller once its bucket is full again, so memory follows only the callers of the last refill time', () => {
    const time = clock();
    const buckets = tokenBuckets({ perSecond: 10, burst: 10 }, { now: time.now });
    for (let i = 0; i < 10_000; i++) buckets.take(`caller-${i}`, 1);
    expect(buckets.size).toBe(10_000);
    time.advance(999);
    buckets.take('late', 1);
    expect(buckets.size).toBe(10_001);
    time.advance(1);
    buckets.take('later', 1);
    expect(buckets.size).toBe(2);
  });

  it('remembers at most maxCallers, dropping the idlest', () => {
    const time = clock();
    const buckets = tokenBuckets({ perSecond: 0.001, burst: 1 }, { now: time.now, maxCallers: 3 });
    for (const caller of ['a', 'b', 'c', 'd']) {
      buckets.take(caller, 1);
      time.advance(1);
    }
    expect(buckets.size).toBe(3);
    expect(buckets.take('a', 1)).toBe(0);
    expect(buckets.take('d', 1)).toBeGreaterThan(0);
  });
});

describe('the mutation rate limit guard', () => {
  const schema = buildSchema('type Query { a: Int } type Mutation { m: Int }');
  const run = (guard: ReturnType<typeof rateLimitMutations>, source: string) => {
    const document = parse(source);
    const operation = getOperationAST(document)!;
    guard({ schema, document, operation, variables: {}, context: { caller: 'c' } as GraphQLContext });
  };

  it('limits mutations only, never queries', () => {
    const guard = rateLimitMutations({ perSecond: 0.001, burst: 1 });
    for (let i = 0; i < 5; i++) run(guard, '{ a }');
    run(guard, 'mutation { m }');
    expect(() => run(guard, 'mutation { m }')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
  });

  it('is off with perSecond 0', () => {
    const guard = rateLimitMutations({ perSecond: 0, burst: 1 });
    for (let i = 0; i < 5; i++) expect(() => run(guard, 'mutation { m }')).not.toThrow();
    // The same burst with a rate refuses the second mutation: the first loop passed because the limit was off.
    const on = rateLimitMutations({ perSecond: 0.001, burst: 1 });
    run(on, 'mutation { m }');
    expect(() => run(on, 'mutation { m }')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
  });
});
