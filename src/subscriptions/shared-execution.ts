import {
  createSourceEventStream,
  execute,
  print,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';

/**
 * graphql-js's `subscribe`, except that subscribers with the same document and variables share the execution of
 * each payload. Every subscriber of a live event receives the same payload object (the tailer hands one page to
 * all, and its window keeps one object per event), so with N identical subscriptions an event is executed once instead of N times, which is most of the cost
 * of fan-out. Payloads that belong to one subscriber (its "too slow" marker) are never shared.
 */
export async function subscribeSharingResults(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const key = `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document)}`;
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  // A plain iterator rather than an async generator, so that return() reaches the source at once even while a
  // next() is waiting for an event (a generator would only see it at its next yield, keeping the subscription
  // open until another event came).
  const results: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const next = await iterator.next();
      if (next.done) return { value: undefined, done: true };
      return { value: await executeShared(next.value, key, args), done: false };
    },
    async return() {
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}

const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

function executeShared(payload: unknown, key: string, args: ExecutionArgs): Promise<ExecutionResult> {
  const run = async () => execute({ ...args, rootValue: payload });
  if (typeof payload !== 'object' || payload === null) return run();
  let byKey = results.get(payload);
  if (!byKey) results.set(payload, (byKey = new Map()));
  let result = byKey.get(key);
  if (!result) byKey.set(key, (result = run()));
  return result;
}
