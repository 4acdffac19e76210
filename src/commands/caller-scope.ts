import { requireId } from '../shared/text';

/**
 * What one caller chooses must never reach another tenant: a client's commandId is a key in that caller's own
 * namespace, and a customer's correlationId is stored in theirs. Both schemes live here, with their inverses for
 * what the customer is shown and may filter by.
 */

/** The scope of commands no user sent. A token's `sub` is never empty, so no caller has it. */
const UNATTRIBUTED_SCOPE = '';

/**
 * The namespace a commandId is an idempotency key in: the caller's own (their token's `sub`, the events'
 * metadata.userId), so that another user's identical key is simply another command, and says nothing about his.
 */
export function idempotencyScope(userId: string | null | undefined): string {
  return userId ?? UNATTRIBUTED_SCOPE;
}

/**
 * How a customer's correlation ids begin: their customer id, percent-encoded (a UUID is unchanged), then `:`. The
 * first `:` of a stored value always ends the prefix, so two customers' values never coincide, whatever they send,
 * and none coincides with a server-made id (a UUID has no `:`).
 */
function prefixOf(owner: string): string {
  return `${encodeURIComponent(owner)}:`;
}

/**
 * A customer's correlationId as the log stores it: `<customer id>:<value>`. The stored value is held to the same
 * `maxLength` as any id (so staff can filter by it, and the fulfillment service can carry it into its own
 * commands), which leaves the customer `maxLength` minus the prefix for theirs.
 */
export function namespacedCorrelationId(owner: string, value: string, maxLength: number): string {
  const prefix = prefixOf(owner);
  return prefix + requireId(value, 'correlationId', maxLength - prefix.length);
}

/** A stored correlationId as the customer `owner` sees it: their own values without their prefix. */
export function correlationIdSeenBy(owner: string, stored: string): string {
  const prefix = prefixOf(owner);
  return stored.startsWith(prefix) ? stored.slice(prefix.length) : stored;
}

/**
 * The stored correlation ids a customer's filter by `value` means: theirs as they sent it, or one that is not
 * theirs to namespace (made by the server, or by staff acting on their data), shown to them as it is.
 */
export function correlationIdsMatching(owner: string, value: string): string[] {
  return [prefixOf(owner) + value, value];
}
