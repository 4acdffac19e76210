import type { ReadModel, ReadModelChange } from './types';

/** Rows written by this process's live batches, kept for the read-model feed (they are wanted within milliseconds). */
const CAPACITY = 10_000;

/**
 * The latest rows the projectors in this process committed, so that a read-model subscription can push a row as
 * committed instead of reading it back. Bounded: the oldest are forgotten first.
 */
export class WrittenRows {
  private readonly rows = new Map<string, { projector: string; row: unknown }>();

  remember(projector: string, changes: readonly ReadModelChange[]): void {
    for (const { model, id, row } of changes) {
      const key = `${model.name}:${id}`;
      this.rows.delete(key);
      this.rows.set(key, { projector, row });
    }
    for (const key of this.rows.keys()) {
      if (this.rows.size <= CAPACITY) break;
      this.rows.delete(key);
    }
  }

  /** Rows written before this process (re)gained a projector's lead may have been overwritten elsewhere since. */
  forget(projector: string): void {
    for (const [key, entry] of this.rows) if (entry.projector === projector) this.rows.delete(key);
  }

  /** The row, if remembered and its projector is still led here (so nobody else has written it since). */
  get<Row>(model: ReadModel<Row>, id: string, leads: (projector: string) => boolean): Row | undefined {
    const entry = this.rows.get(`${model.name}:${id}`);
    // Stored under the model's name by remember(), from a ReadModelChange<Row> of that same model.
    return entry && leads(entry.projector) ? (entry.row as Row) : undefined;
  }
}
