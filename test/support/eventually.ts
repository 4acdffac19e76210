/**
 * Retries an assertion until it passes or `timeoutMs` runs out. For reads of the log, which show an event once
 * every transaction older than it has finished: a transaction held open elsewhere on the same PostgreSQL (another
 * test file's, here) delays, but never reorders, what readers see.
 */
export async function eventually<T>(assertion: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
