import { createHash } from 'node:crypto';

/**
 * How many keys derived from the event a shipment goes on to after its eventId met IDEMPOTENCY_CONFLICT. A
 * commandId is unique per caller, so only a holder of this service's own identity can have taken one: more than
 * one taken is a fault to look into, not bad luck.
 */
export const DERIVED_KEYS = 3;

/**
 * The commandIds one OrderPaid's shipOrder may go out under, in order: its eventId, then UUIDv5s named after it.
 * Every delivery of the event walks the same list, so a redelivery after a crash meets the same conflicts and
 * arrives at the key the first delivery shipped under, which orderstream answers with the first result.
 */
export function shipmentKeys(eventId: string): string[] {
  return [eventId, ...Array.from({ length: DERIVED_KEYS }, (_, i) => uuidV5(eventId, `shipOrder/${i + 1}`))];
}

/** RFC 9562 UUID version 5: SHA-1 of the namespace's 16 bytes and the name, with version and variant bits set. */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
