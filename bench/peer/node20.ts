/**
 * PostGraphile 5 is built for Node 22 (its packages declare `engines: node >= 22`) and calls Promise.withResolvers,
 * which Node 20 (this project's minimum) lacks: without it every query that reaches PostgreSQL fails. This is the
 * same function in plain JavaScript, installed only in the peer's process and only where missing.
 */
if (!('withResolvers' in Promise)) {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
