import { buildSchema, getOperationAST, parse } from 'graphql';
import type { TokenBuckets } from '../../src/db/rate-limit-buckets';
import type { GraphQLContext } from '../../src/graphql-kit/context';
import { runGuards } from '../../src/edge/operation-guards';
import { rateLimitMutations } from '../../src/edge/rate-limit';

// The guard over the buckets (test/integration/rate-limit-buckets.test.ts has the buckets themselves): what it
// charges, and a refusal answered at once or after the buckets asked the database.

const schema = buildSchema('type Query { a: Int } type Mutation { m: Int }');

/** Buckets that record each charge and answer with the given wait, at once or as a promise. */
function buckets(waitMs: number, { asks = false } = {}) {
  const charged: number[] = [];
  const fake: TokenBuckets = {
    take: (_caller, cost) => {
      charged.push(cost);
      return asks ? Promise.resolve(waitMs) : waitMs;
    },
    stop: () => undefined,
  };
  return { fake, charged };
}

function run(guard: ReturnType<typeof rateLimitMutations>, source: string) {
  const document = parse(source);
  const operation = getOperationAST(document)!;
  return runGuards([guard], {
    schema,
    document,
    operation,
    variables: {},
    context: { caller: 'c' } as GraphQLContext,
  });
}

it('charges mutations only, one token per root field, never queries', () => {
  const { fake, charged } = buckets(0);
  const guard = rateLimitMutations(fake);
  expect(run(guard, '{ a }')).toBeUndefined();
  expect(run(guard, 'mutation { m }')).toBeUndefined();
  expect(run(guard, 'mutation { x: m y: m ...F } fragment F on Mutation { z: m }')).toBeUndefined();
  expect(charged).toEqual([1, 3]);
});

it('refuses with RATE_LIMITED and the wait, at once when the buckets answer at once', () => {
  const guard = rateLimitMutations(buckets(250).fake);
  expect(() => run(guard, 'mutation { m }')).toThrow(
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) }),
  );
});

it('refuses alike after the buckets asked the database, and lets through what they grant', async () => {
  await expect(run(rateLimitMutations(buckets(250, { asks: true }).fake), 'mutation { m }')).rejects.toMatchObject({
    extensions: { code: 'RATE_LIMITED', http: { status: 429 } },
    originalError: expect.objectContaining({ details: { retryAfterMs: 250 } }),
  });
  await expect(run(rateLimitMutations(buckets(0, { asks: true }).fake), 'mutation { m }')).resolves.toBeUndefined();
});

it('is off without buckets (RATE_LIMIT_MUTATIONS_PER_SECOND=0)', () => {
  const guard = rateLimitMutations(undefined);
  for (let i = 0; i < 5; i++) expect(run(guard, 'mutation { m }')).toBeUndefined();
});
