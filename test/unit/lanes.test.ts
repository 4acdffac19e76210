import { Lanes } from '../../src/commands/lanes';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Lanes', () => {
  it('runs work under one key one at a time, in arrival order, whatever each outcome', async () => {
    const lanes = new Lanes();
    const log: string[] = [];
    const first = deferred();
    const second = deferred();
    const a = lanes.run('order-1', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
    });
    const b = lanes.run('order-1', async () => {
      log.push('b start');
      await second.promise;
      throw new Error('b failed');
    });
    const c = lanes.run('order-1', async () => {
      log.push('c start');
      return 'c';
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.resolve();
    await a;
    second.resolve();
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['a start', 'a end', 'b start', 'c start']);
  });

  it('runs different keys concurrently', async () => {
    const lanes = new Lanes();
    const gate = deferred();
    const started: string[] = [];
    const a = lanes.run('order-1', async () => {
      started.push('order-1');
      await gate.promise;
    });
    const b = lanes.run('order-2', async () => {
      started.push('order-2');
    });
    await b;
    expect(started).toEqual(['order-1', 'order-2']);
    gate.resolve();
    await a;
  });

  it('forgets a key once its lane is empty', async () => {
    const lanes = new Lanes();
    await Promise.all([lanes.run('x', async () => 1), lanes.run('x', async () => 2), lanes.run('y', async () => 3)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lanes.size).toBe(0);
  });
});
