import DataLoader from 'dataloader';

/**
 * A per-request batching loader by id: every `load` of one tick becomes one call of `find` (a page of orders with
 * their customers costs one query for all the customers). Missing ids load as null.
 */
export function loaderById<T extends { id: string }>(find: (ids: readonly string[]) => Promise<T[]>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const found = new Map((await find(ids)).map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}
