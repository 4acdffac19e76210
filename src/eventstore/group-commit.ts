import type { Db } from '../db/prisma';
import { sqlState } from '../db/sql-errors';
import { appendRows, MAX_EVENTS_PER_APPEND } from './append';
import { groupStatement } from './group-statement';
import { conflict, HELD_ATTEMPTS, refusal } from './refusal';
import { toStoredEvent, type EventRow } from './rows';
import type { AppendRequest, AppendResult } from './types';
import type { WakeUps } from './wakeups';

/** Appends one group statement takes at most (its events are bounded by MAX_EVENTS_PER_APPEND as well). */
const MAX_GROUP = 64;

type Waiting = {
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
  /** How often it was refused only because newer transactions held its stream (see refusal). */
  held: number;
};

/**
 * Group commit: one append statement of this process is under way at a time, and the appends that arrive meanwhile
 * go together in the next one (one round trip, one transaction, one commit and one NOTIFY for all of them), each
 * with its own outcome. An append that finds nothing under way goes at once, alone, as it always did: a group
 * forms only from appends that would otherwise have waited for a connection, or the database, in parallel.
 *
 * One statement rather than a transaction with a savepoint per append: Prisma sends each statement of an
 * interactive transaction after the previous one's answer, so a savepoint per member would cost more round trips
 * than the group saves. The single statement isolates its members by construction instead (a refused member
 * writes nothing); only a failure of the statement itself (a twin's commandId committed by another instance
 * meanwhile, a deadlock with another instance's group, a member's data PostgreSQL refuses) undoes the group, which
 * is then appended one by one, each getting the outcome it would have had alone.
 */
export class AppendQueue {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly db: Db,
    private readonly wakeUps: WakeUps,
  ) {}

  append(request: AppendRequest): Promise<AppendResult> {
    return this.enqueue(request, 0);
  }

  private enqueue(request: AppendRequest, held: number): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject, held });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.nextGroup();
        if (group.length === 1) await this.alone(group[0]!);
        else await this.together(group);
      }
    } finally {
      // Whatever failed, the queue is not left "writing" with nobody draining it: the next append drains again.
      this.writing = false;
    }
  }

  /**
   * The waiting appends, in arrival order, that can share a statement: one per stream (a statement cannot move one
   * stream's row twice), none appending to a stream another holds as a condition or holding one another appends to
   * (within one transaction, the condition would see the stream as it was before the statement, and the append's
   * events would not come after the held member's), one per commandId, within the events one transaction can
   * number. The rest wait their turn.
   */
  private nextGroup(): Waiting[] {
    const group: Waiting[] = [];
    const moved = new Set<string>();
    const held = new Set<string>();
    const commands = new Set<string>();
    let events = 0;
    for (let i = 0; i < this.waiting.length && group.length < MAX_GROUP;) {
      const { request } = this.waiting[i]!;
      const conditions = (request.expectStreams ?? []).map((c) => c.aggregateId);
      const command = request.command && `${request.command.scope}\n${request.command.commandId}`;
      const fits =
        !moved.has(request.aggregateId) &&
        !held.has(request.aggregateId) &&
        !conditions.some((id) => moved.has(id)) &&
        !(command && commands.has(command)) &&
        events + request.events.length <= MAX_EVENTS_PER_APPEND;
      if (!fits) {
        i++;
        continue;
      }
      group.push(this.waiting.splice(i, 1)[0]!);
      moved.add(request.aggregateId);
      for (const id of conditions) held.add(id);
      if (command) commands.add(command);
      events += request.events.length;
    }
    return group;
  }

  private async alone(member: Waiting): Promise<void> {
    const wake = this.wakeUps.send('shared');
    try {
      const result = await appendRows(this.db, member.request, wake.notify);
      wake.sent(true);
      member.resolve(result);
    } catch (error) {
      wake.sent(false);
      member.reject(error);
    }
  }

  private async together(group: Waiting[]): Promise<void> {
    const wake = this.wakeUps.send('shared');
    let rows: EventRow[];
    try {
      const { text, values } = groupStatement(
        group.map((m) => m.request),
        wake.notify,
      );
      // Unsafe only in name: the text is fixed (two forms); every value is a parameter.
      rows = await this.db.$queryRawUnsafe<EventRow[]>(text, ...values);
    } catch (error) {
      wake.sent(false);
      // PostgreSQL refused the statement, so nothing of it was written: each member is appended alone and gets the
      // outcome it would have had alone (a twin's commandId recorded by another instance meanwhile, a deadlock with
      // another instance's group, or one member's data that PostgreSQL refuses, which must not fail the others).
      // Without a SQLSTATE (the connection failed) whether it committed is unknown, and every member is told so.
      if (sqlState(error) === undefined) {
        for (const member of group) member.reject(error);
        return;
      }
      for (const member of group) await this.alone(member);
      return;
    }
    wake.sent(true);
    const byStream = new Map<string, EventRow[]>();
    for (const row of rows) {
      const own = byStream.get(row.aggregate_id);
      if (own) own.push(row);
      else byStream.set(row.aggregate_id, [row]);
    }
    for (const member of group) {
      const own = byStream.get(member.request.aggregateId);
      if (!own) {
        // Read after the commit, off the queue: the next group need not wait for a refused member's reason.
        void this.refused(member).catch(member.reject);
        continue;
      }
      const events = own.map(toStoredEvent);
      const last = events[events.length - 1]!;
      member.resolve({ events, version: last.version, position: last.position });
    }
  }

  /** Tells a member that wrote nothing why, or appends it again if a newer transaction only held its stream. */
  private async refused(member: Waiting): Promise<void> {
    const why = await refusal(this.db, member.request);
    if (why !== 'again') return member.reject(why);
    if (member.held + 1 === HELD_ATTEMPTS) {
      return member.reject(await conflict(this.db, member.request.aggregateId, member.request.expectedVersion));
    }
    member.resolve(await this.enqueue(member.request, member.held + 1));
  }
}
