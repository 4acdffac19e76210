import pino from 'pino';
import { LogTailer } from '../../src/log/tailer';
import type { FakeLog } from './fake-log';

type WindowOptions = { pageSize: number; windowSize: number; windowBytes: number };

/**
 * Real tailers over in-memory logs, stopped after each test. The poll interval is an hour, so only an append's
 * poke moves a tailer: tests wait on its own signal (`reached`), never on time.
 */
export function tailerFixture() {
  const tailers: LogTailer[] = [];
  afterEach(async () => {
    await Promise.all(tailers.splice(0).map((t) => t.stop()));
  });
  return {
    async start(log: FakeLog, options: Partial<WindowOptions> = {}): Promise<LogTailer> {
      const tailer = new LogTailer(log.store, pino({ level: 'silent' }), {
        pollMs: 3_600_000,
        pageSize: 100,
        windowSize: 1000,
        windowBytes: 64 * 1024 * 1024,
        ...options,
      });
      tailers.push(tailer);
      await tailer.start();
      return tailer;
    },
  };
}

/** Resolves once the tailer has read up to `position` (its head is at or beyond it). */
export const reached = (tailer: LogTailer, position: bigint) =>
  new Promise<void>((resolve) => tailer.whenPast(position - 1n, () => resolve()));
