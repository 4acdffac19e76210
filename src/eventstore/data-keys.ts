import { randomUUID } from 'node:crypto';
import type { Db, PrismaClient } from '../db/prisma';
import { newDataKey, open, seal } from './field-cipher';
import { KeyCache } from './key-cache';
import type { MasterKeys } from './master-keys';

/** A subject's data key, or `erased` once the subject was forgotten. */
export type DataKey =
  { keyId: string; subjectId: string; key: Buffer } | { keyId: string; subjectId: string; erased: true };

type Row = {
  subject_id: string;
  key_id: string;
  wrapped_key: string | null;
  master_key_id: string | null;
};

/** Keys used within a minute of their read: a key deleted by another instance is not used here after that. */
const CACHE_TTL_MS = 60_000;
const CACHE_SIZE = 10_000;
const ROTATE_BATCH = 500;

/**
 * The data keys of subjects (customers), one each, made on first use and wrapped by the master key: the table
 * holds no key in the clear. Wrapping is AES-256-GCM too, bound to the subject, so a wrapped key moved to another
 * row does not unwrap.
 */
export class DataKeys {
  private readonly byKeyId = new KeyCache<DataKey>(CACHE_SIZE, CACHE_TTL_MS);
  private readonly bySubject = new KeyCache<DataKey>(CACHE_SIZE, CACHE_TTL_MS);

  constructor(
    private readonly db: PrismaClient,
    private readonly masters: MasterKeys,
  ) {}

  /**
   * The master keys the table's data keys are wrapped by that this service was not given (neither DATA_KEY nor in
   * DATA_KEY_PREVIOUS): with any, the keys they wrap cannot be read, and neither can any event sealed under them.
   */
  async unknownMasterKeys(): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ master_key_id: string }[]>`
      SELECT DISTINCT master_key_id FROM data_keys WHERE master_key_id IS NOT NULL`;
    return rows.map((row) => row.master_key_id).filter((id) => !this.masters.byId.has(id));
  }

  /** The key to encrypt a subject's fields with (made now if it has none), or an erased one once forgotten. */
  async forSubject(subjectId: string): Promise<DataKey> {
    const cached = this.bySubject.get(subjectId);
    if (cached) return cached;
    const fresh = this.wrap(subjectId, newDataKey());
    let rows = await this.db.$queryRaw<Row[]>`
      WITH made AS (
        INSERT INTO data_keys (subject_id, key_id, wrapped_key, master_key_id)
        VALUES (${subjectId}, ${randomUUID()}::uuid, ${fresh}, ${this.masters.current.id})
        ON CONFLICT (subject_id) DO NOTHING
        RETURNING subject_id, key_id::text, wrapped_key, master_key_id)
      SELECT * FROM made
      UNION ALL SELECT subject_id, key_id::text, wrapped_key, master_key_id FROM data_keys WHERE subject_id = ${subjectId}`;
    // A concurrent first use committed its key after this statement's snapshot: read the key it made.
    if (rows.length === 0) {
      rows = await this.db.$queryRaw<Row[]>`
        SELECT subject_id, key_id::text, wrapped_key, master_key_id FROM data_keys WHERE subject_id = ${subjectId}`;
    }
    return this.remember(this.unwrap(rows[0]!));
  }

  /** The keys with these ids (what ciphertexts name); an id with no row at all is left out. */
  async byIds(keyIds: readonly string[]): Promise<Map<string, DataKey>> {
    const found = new Map<string, DataKey>();
    const missing: string[] = [];
    for (const id of new Set(keyIds)) {
      const cached = this.byKeyId.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const rows = await this.db.$queryRaw<Row[]>`
        SELECT subject_id, key_id::text, wrapped_key, master_key_id FROM data_keys
        WHERE key_id = ANY(${missing}::uuid[])`;
      for (const row of rows) found.set(row.key_id, this.remember(this.unwrap(row)));
    }
    return found;
  }

  /** Which of these subjects were forgotten (their key deleted). */
  async erasedAmong(subjectIds: readonly string[]): Promise<Set<string>> {
    const erased = new Set<string>();
    const missing: string[] = [];
    for (const id of subjectIds) {
      const cached = this.bySubject.get(id);
      if (!cached) missing.push(id);
      else if ('erased' in cached) erased.add(id);
    }
    if (missing.length > 0) {
      const rows = await this.db.$queryRaw<Row[]>`
        SELECT subject_id, key_id::text, wrapped_key, master_key_id FROM data_keys
        WHERE subject_id = ANY(${missing}::text[])`;
      for (const row of rows) if ('erased' in this.remember(this.unwrap(row))) erased.add(row.subject_id);
    }
    return erased;
  }

  /**
   * Deletes the subject's key, keeping the row as its tombstone (one is written for a subject that never had a key:
   * what is appended for it later is then stored without personal fields too). Idempotent. In `db`, a transaction,
   * when the caller erases more with it.
   */
  async erase(subjectId: string, db: Db = this.db): Promise<void> {
    await db.$executeRaw`
      INSERT INTO data_keys (subject_id, key_id, wrapped_key, master_key_id, deleted_at)
      VALUES (${subjectId}, ${randomUUID()}::uuid, NULL, NULL, now())
      ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, master_key_id = NULL,
        deleted_at = COALESCE(data_keys.deleted_at, EXCLUDED.deleted_at)`;
    const cached = this.bySubject.get(subjectId);
    this.bySubject.delete(subjectId);
    if (cached) this.byKeyId.delete(cached.keyId);
  }

  /**
   * Rewraps every data key that another master key wrapped with the current one (DATA_KEY), in batches, each row
   * only if no one rewrapped or erased it meanwhile. Returns how many it rewrapped.
   */
  async rotate(): Promise<number> {
    const current = this.masters.current.id;
    let done = 0;
    for (;;) {
      const rows = await this.db.$queryRaw<Row[]>`
        SELECT subject_id, key_id::text, wrapped_key, master_key_id FROM data_keys
        WHERE wrapped_key IS NOT NULL AND master_key_id <> ${current}
        ORDER BY subject_id LIMIT ${ROTATE_BATCH}`;
      if (rows.length === 0) return done;
      for (const row of rows) {
        const key = this.unwrap(row);
        if ('erased' in key) continue;
        done += await this.db.$executeRaw`
          UPDATE data_keys SET wrapped_key = ${this.wrap(row.subject_id, key.key)}, master_key_id = ${current}
          WHERE subject_id = ${row.subject_id} AND master_key_id = ${row.master_key_id}`;
      }
    }
  }

  private wrap(subjectId: string, key: Buffer): string {
    const sealed = seal(this.masters.current.key, key, `data-key:${subjectId}`);
    return `${sealed.iv}:${sealed.ct}:${sealed.tag}`;
  }

  private unwrap(row: Row): DataKey {
    const { subject_id: subjectId, key_id: keyId } = row;
    if (row.wrapped_key === null || row.master_key_id === null) return { keyId, subjectId, erased: true };
    const master = this.masters.byId.get(row.master_key_id);
    if (!master) {
      throw new Error(
        `the data key of ${subjectId} is wrapped by master key ${row.master_key_id}, which is neither DATA_KEY nor in DATA_KEY_PREVIOUS`,
      );
    }
    const [iv = '', ct = '', tag = ''] = row.wrapped_key.split(':');
    return { keyId, subjectId, key: open(master.key, { iv, ct, tag }, `data-key:${subjectId}`) };
  }

  private remember(key: DataKey): DataKey {
    // A deleted key stays deleted: its tombstone may be kept as long as the cache has room.
    const ttl = 'erased' in key ? Infinity : undefined;
    this.byKeyId.set(key.keyId, key, ttl);
    this.bySubject.set(key.subjectId, key, ttl);
    return key;
  }
}
