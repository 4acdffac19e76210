import { randomUUID } from 'node:crypto';
import { requireId } from '../shared/text';
import { namespacedCorrelationId } from './caller-scope';

/** What ties a log line, a span or an event to the command behind it. */
export type CommandIds = {
  /** The events' metadata.correlationId: the client's (a customer's in their namespace), or a server-made one. */
  correlationId: string;
  /** The events' metadata.causationId: the commandId, or a server-made id. */
  causationId: string;
  /** The client's idempotency key, unique within its caller's scope (see idempotencyScope). */
  commandId?: string;
};

/** The ids a client may choose for its command (every mutation input carries both, optional). */
export type SentIds = { commandId?: string | null; correlationId?: string | null };

/**
 * A command's ids, made once where the command enters (a mutation's resolver, or an internal caller) and passed
 * down to handleCommand, so that whoever made them can name them (the operation's log line) without being told
 * back. The client's values are held to the id bounds; a customer's correlationId is stored in their namespace, and
 * without one a customer's events get a fresh correlationId rather than their commandId: that is a value they chose
 * too, and as a correlationId it would reach staff's view (and the fulfillment service's commands) outside their
 * namespace.
 */
export function commandIds(sent: SentIds, caller: { owner?: string }, idLength: number): CommandIds {
  const commandId = sent.commandId == null ? undefined : requireId(sent.commandId, 'commandId', idLength);
  const correlationId =
    sent.correlationId == null
      ? undefined
      : caller.owner === undefined
        ? requireId(sent.correlationId, 'correlationId', idLength)
        : namespacedCorrelationId(caller.owner, sent.correlationId, idLength);
  const causationId = commandId ?? randomUUID();
  const generated = caller.owner === undefined ? causationId : randomUUID();
  return { correlationId: correlationId ?? generated, causationId, commandId };
}
