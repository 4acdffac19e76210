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
 * all), so with N identical subscriptions an event is executed once instead of N times, which is most of the cost
 * of fan-out. Payloads that belong to one subscriber (its "too slow" marker) are never shared.
 */
export async function subscribeSharingResults(
  args: ExecutionArgs,
): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const key = `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document)}`;
  return (async function* () {
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield await executeShared(next.value, key, args);
      }
    } finally {
      await iterator.return?.();
    }
  })();
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
