import type { Client } from 'graphql-ws';
import { unlistedCodes } from './error-codes';

export type Collected<T> = {
  items: T[];
  errors: unknown[];
  completed: boolean;
  /**
   * Resolves once `n` items have arrived (or rejects after `timeoutMs`, or once an error arrives whose code or rule
   * the schema's enums do not list).
   */
  until(n: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves when the server completes the subscription (or errors it); rejects as `until` does. */
  done(timeoutMs?: number): Promise<void>;
  stop(): void;
};

/** Subscribes and collects every `next` payload's data (picked by `pick`), errors and completion. */
export function collect<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  pick: (data: any) => T,
): Collected<T> {
  const items: T[] = [];
  const errors: unknown[] = [];
  const unlisted: string[] = [];
  let completed = false;
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        unlisted.push(...unlistedCodes(result.errors));
        if (result.data) items.push(pick(result.data));
        notify();
      },
      error: (error) => {
        errors.push(error);
        unlisted.push(...unlistedCodes(error));
        completed = true;
        notify();
      },
      complete: () => {
        completed = true;
        notify();
      },
    },
  );
  const wait = (ready: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (unlisted.length > 0) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`${what}: the server sent what schema.graphql does not list: ${unlisted.join('; ')}`));
          return;
        }
        if (!ready()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${what}: got ${items.length} items, errors ${JSON.stringify(errors)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    items,
    errors,
    get completed() {
      return completed;
    },
    until: (n, timeoutMs = 30_000) => wait(() => items.length >= n, `waiting for ${n}`, timeoutMs).then(() => items),
    done: (timeoutMs = 30_000) => wait(() => completed, 'waiting for completion', timeoutMs),
    stop,
  };
}
