import { createHash } from 'node:crypto';
import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * graphql-js's `subscribe`, except that subscribers with the same document and variables share the execution of
 * each payload. Every subscriber of a live event receives the same payload object (the tailer's window keeps one
 * object per event), so with N identical subscriptions an event is executed once instead of N times, which is
 * most of the cost of fan-out. Only documents with two or more subscribers share (at most MAX_SHARING_DOCUMENTS
 * of them), so memory does not grow with the number of distinct subscriptions. Payloads that belong to one
 * subscriber (its "too slow" marker) are never shared, being objects of their own.
 */
export async function subscribeSharingResults(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const document = joinDocument(sharingKey(args));
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    document.leave();
    await iterator.return?.();
  };
  // A plain iterator rather than an async generator, so that return() reaches the source at once even while a
  // next() is waiting for an event (a generator would only see it at its next yield, keeping the subscription
  // open until another event came).
  const results: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      try {
        const next = await iterator.next();
        if (next.done) {
          await finish();
          return { value: undefined, done: true };
        }
        return { value: await executeShared(next.value, document, args), done: false };
      } catch (error) {
        // The error goes to the client and ends the subscription, and nobody calls return() after it.
        await finish();
        throw error;
      }
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}

/**
 * A digest of what makes two subscriptions' results the same, not the text itself: the key lives as long as the
 * subscription, and its variables may be as large as a frame.
 */
function sharingKey(args: ExecutionArgs): string {
  // A customer is served their own view of an event (Event.metadata): only their own subscriptions share with theirs.
  const owner = (args.contextValue as { owner?: string } | undefined)?.owner;
  return createHash('sha256')
    .update(JSON.stringify(owner ?? null))
    .update('\n')
    .update(args.operationName ?? '')
    .update('\n')
    .update(JSON.stringify(args.variableValues ?? {}))
    .update('\n')
    .update(print(args.document))
    .digest('base64url');
}

/**
 * How many documents may share results at once. A result lives as long as its event stays in the tailer's window
 * (it is keyed by the event object) and mostly points into the event itself, so this bounds the memory sharing
 * costs; documents beyond it simply execute per subscriber.
 */
const MAX_SHARING_DOCUMENTS = 32;

type SharedDocument = { key: string; subscribers: number; sharing: boolean; leave(): void };

/** Subscribed documents (with their variables), counted: results are cached only where someone shares them. */
const documents = new Map<string, SharedDocument>();
let sharingDocuments = 0;

function joinDocument(key: string): SharedDocument {
  let document = documents.get(key);
  if (!document) {
    const created: SharedDocument = {
      key,
      subscribers: 0,
      sharing: false,
      leave() {
        if (--created.subscribers > 0) return;
        documents.delete(key);
        if (created.sharing) sharingDocuments--;
      },
    };
    documents.set(key, (document = created));
  }
  document.subscribers++;
  if (document.subscribers >= 2 && !document.sharing && sharingDocuments < MAX_SHARING_DOCUMENTS) {
    document.sharing = true;
    sharingDocuments++;
  }
  return document;
}

const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

function executeShared(payload: unknown, document: SharedDocument, args: ExecutionArgs): Promise<ExecutionResult> {
  const run = async () => execute({ ...args, rootValue: payload });
  if (!document.sharing || typeof payload !== 'object' || payload === null) return run();
  let byDocument = results.get(payload);
  if (!byDocument) results.set(payload, (byDocument = new Map()));
  let result = byDocument.get(document.key);
  if (!result) byDocument.set(document.key, (result = run()));
  return result;
}
