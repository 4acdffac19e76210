import { open, seal } from './field-cipher';
import type { DataKey, DataKeys } from './data-keys';
import type { NewEvent, StoredEvent } from './types';

/** For each event type that carries personal data, its payload fields that do (see Slice.personalFields). */
export type PersonalFields = Readonly<Record<string, readonly string[]>>;

/**
 * How a sealed value is stored in place of the plain one: `{"$enc": "v1:<key id>:<iv>:<ciphertext>:<tag>"}`, the
 * value's JSON encrypted under its subject's data key. A value appended after its subject was forgotten is stored
 * as `{"$erased": true}`: there is no key left to seal it with, and it must not be kept in the clear.
 */
type Enc = { $enc: string };
const FORMAT = 'v1';
const ERASED = { $erased: true } as const;

const isEnc = (value: unknown): value is Enc =>
  typeof value === 'object' && value !== null && typeof (value as Enc).$enc === 'string';
const isErased = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (value as typeof ERASED).$erased === true;

const keyIdOf = (enc: Enc): string => enc.$enc.split(':')[1] ?? '';

function sealValue(key: DataKey, value: unknown, context: string): Enc | typeof ERASED {
  if ('erased' in key) return ERASED;
  const { iv, ct, tag } = seal(key.key, Buffer.from(JSON.stringify(value), 'utf8'), context);
  return { $enc: `${FORMAT}:${key.keyId}:${iv}:${ct}:${tag}` };
}

/** The plain value, or undefined when its key was deleted. Throws on a tampered value or an unknown key. */
function openValue(keys: ReadonlyMap<string, DataKey>, enc: Enc, context: string): unknown {
  const [format, keyId = '', iv = '', ct = '', tag = ''] = enc.$enc.split(':');
  if (format !== FORMAT) throw new Error(`an encrypted value of format ${format}, which this service cannot read`);
  const key = keys.get(keyId);
  if (!key) throw new Error(`an encrypted value names data key ${keyId}, which data_keys has no row of`);
  if ('erased' in key) return undefined;
  return JSON.parse(open(key.key, { iv, ct, tag }, context).toString('utf8'));
}

/**
 * Crypto-shredding: personal fields are stored encrypted under their subject's data key (a customer's, for their
 * own events and their orders'), so deleting that key erases them everywhere they were written, log included,
 * while the rest of every event (amounts, items, statuses) stays the business record it is. The event store seals
 * on append and reveals on every read, so nothing above it knows.
 */
export class PersonalData {
  constructor(
    readonly keys: DataKeys,
    readonly fields: PersonalFields,
  ) {}

  /** The events with their personal fields sealed under the subject's key (made on its first use). */
  async seal(events: readonly NewEvent[], subjectId: string): Promise<NewEvent[]> {
    const carrying = (e: NewEvent) => this.present(e.eventType, e.payload).length > 0;
    if (!events.some(carrying)) return [...events];
    const key = await this.keys.forSubject(subjectId);
    return events.map((event) => {
      const present = this.present(event.eventType, event.payload);
      if (present.length === 0) return event;
      const payload = { ...(event.payload as Record<string, unknown>) };
      for (const field of present) payload[field] = sealValue(key, payload[field], `${event.eventType}.${field}`);
      return { ...event, payload };
    });
  }

  /**
   * The events with their personal fields in the clear, or null (and `personalDataErased`) where the subject was
   * forgotten. One look-up of the keys for the whole page, most of them from the cache.
   */
  async reveal(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const keyIds: string[] = [];
    for (const event of events) {
      for (const field of this.present(event.eventType, event.payload)) {
        const value = (event.payload as Record<string, unknown>)[field];
        if (isEnc(value)) keyIds.push(keyIdOf(value));
      }
    }
    const keys = keyIds.length > 0 ? await this.keys.byIds(keyIds) : new Map<string, DataKey>();
    return events.map((event) => {
      const present = this.present(event.eventType, event.payload);
      // Most events carry nothing personal: handed on as read, with no copy (personalDataErased unset is false).
      if (present.length === 0) return event;
      const payload = { ...(event.payload as Record<string, unknown>) };
      let erased = false;
      for (const field of present) {
        const value = payload[field];
        if (isEnc(value)) {
          const plain = openValue(keys, value, `${event.eventType}.${field}`);
          erased ||= plain === undefined;
          payload[field] = plain === undefined ? null : plain;
        } else if (isErased(value)) {
          erased = true;
          payload[field] = null;
        }
      }
      return { ...event, payload, personalDataErased: erased || (event.personalDataErased ?? false) };
    });
  }

  /**
   * Events revealed earlier (kept in memory, as the live window keeps them), as a read now would serve them: the
   * personal fields of a subject forgotten since then null. Only events that still show personal data are looked
   * at, their subjects' keys in one look-up, most from the cache.
   */
  async honourErasures(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const subjectOf = (e: StoredEvent) => e.ownerId ?? e.aggregateId;
    const showing = (e: StoredEvent) =>
      !e.personalDataErased &&
      this.present(e.eventType, e.payload).some((f) => (e.payload as Record<string, unknown>)[f] !== null);
    const subjects = [...new Set(events.filter(showing).map(subjectOf))];
    if (subjects.length === 0) return [...events];
    const erased = await this.keys.erasedAmong(subjects);
    if (erased.size === 0) return [...events];
    return events.map((event) => {
      if (!erased.has(subjectOf(event)) || !showing(event)) return event;
      const payload = { ...(event.payload as Record<string, unknown>) };
      for (const field of this.present(event.eventType, payload)) payload[field] = null;
      return { ...event, payload, personalDataErased: true };
    });
  }

  /** A snapshot's state sealed whole under the subject's key: a state folds in names, emails and reasons. */
  async sealState(state: unknown, subjectId: string, aggregateId: string): Promise<unknown> {
    return sealValue(await this.keys.forSubject(subjectId), state, `snapshot:${aggregateId}`);
  }

  /** A stored snapshot state in the clear; undefined when it cannot be (its subject forgotten): fold from events. */
  async openState(stored: unknown, aggregateId: string): Promise<{ state: unknown } | undefined> {
    if (isErased(stored)) return undefined;
    if (!isEnc(stored)) return { state: stored };
    const keys = await this.keys.byIds([keyIdOf(stored)]);
    const state = openValue(keys, stored, `snapshot:${aggregateId}`);
    return state === undefined ? undefined : { state };
  }

  /** The personal fields this payload has a value in (an optional reason left out is not there to seal). */
  private present(eventType: string, payload: unknown): readonly string[] {
    const fields = this.fields[eventType];
    if (!fields || typeof payload !== 'object' || payload === null) return [];
    return fields.filter((f) => (payload as Record<string, unknown>)[f] !== undefined);
  }
}
