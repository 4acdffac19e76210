import type { Recorded } from '../../src/commands/event-decoder';
import { InvalidInput, NotFound, RuleViolation } from '../../src/shared/errors';

/**
 * Given events / when command / then events or a refusal: specs for a pure decider, written the way the rules
 * read. (After Emmett's `DeciderSpecification`; no method is called `then`, so a spec is never mistaken for a
 * promise when a test returns or awaits it.)
 *
 *   const { given } = deciderSpec(orderDecider);
 *   given(placed).when(payOrder).thenEvents([{ type: 'OrderPaid', data: { amount: '59.98' } }]);
 *   given(placed, paid).when(payOrder).thenRefused(ruleViolation('PAY_ONLY_WHEN_PLACED'));
 *
 * Events are folded as the store would record them: in the stream `SPEC_AGGREGATE_ID`, with consecutive versions,
 * a second apart (see `recorded`).
 *
 * Runs in the unit tier: nothing here reaches a database.
 */
export type Decider<Command, Event, State> = {
  decide: (command: Command, state: State) => readonly Event[];
  evolve: (state: State, event: Recorded<Event>) => State;
  initialState: State;
  /** The stream version the state is at (0: no stream), so decided events are recorded after it. */
  versionOf: (state: State) => number;
};

export const SPEC_AGGREGATE_ID = 'spec-aggregate';
const FIRST_EVENT_AT = Date.parse('2026-01-01T12:00:00.000Z');

/** The event as the store records it at `version` of the spec's stream: version n is n − 1 seconds after the first. */
export function recorded<Event>(event: Event, version: number): Recorded<Event> {
  return {
    ...event,
    aggregateId: SPEC_AGGREGATE_ID,
    version,
    timestamp: new Date(FIRST_EVENT_AT + (version - 1) * 1000),
  };
}

/** How a command is refused: the error class, its `extensions.code`, and what it names. */
export type Refusal =
  | { kind: 'invalid input'; field: string }
  | { kind: 'rule violation'; rule: string }
  | { kind: 'not found'; id: string };

/** BAD_USER_INPUT naming the offending `field` (a path such as `items[2].quantity`). */
export const invalidInput = (field: string): Refusal => ({ kind: 'invalid input', field });
/** BUSINESS_RULE_VIOLATION naming the `rule`. */
export const ruleViolation = (rule: string): Refusal => ({ kind: 'rule violation', rule });
/** NOT_FOUND naming the missing aggregate's `id`. */
export const notFound = (id: string): Refusal => ({ kind: 'not found', id });

export type WhenCommand<Event, State> = {
  /** The events decided (the command must be accepted). */
  events(): readonly Event[];
  /** The state after folding the decided events onto the given state, as the command handler would. */
  stateAfter(): State;
  /** Then exactly these events are decided. */
  thenEvents(expected: readonly Event[]): void;
  /** Then the command is refused, with this error. */
  thenRefused(refusal: Refusal): void;
  /**
   * Then deciding (accepted or refused) writes to neither the given state nor the command: both are deeply frozen
   * first, so a write would throw a TypeError, and compared after with copies taken before.
   */
  thenInputsUnchanged(): void;
};

export type GivenState<Command, Event, State> = {
  /** The given state. */
  readonly state: State;
  when(command: Command): WhenCommand<Event, State>;
};

export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  const fold = (state: State, events: readonly Event[]): State => {
    const from = decider.versionOf(state);
    return events.reduce((s, event, i) => decider.evolve(s, recorded(event, from + i + 1)), state);
  };

  function givenState(state: State): GivenState<Command, Event, State> {
    return {
      state,
      when(command) {
        const decide = () => decider.decide(command, state);
        return {
          events: decide,
          stateAfter: () => fold(state, decide()),
          thenEvents(expected) {
            expect(decide()).toEqual(expected);
          },
          thenRefused(refusal) {
            expectRefusal(caught(decide), refusal);
          },
          thenInputsUnchanged() {
            const stateBefore = structuredClone(state);
            const commandBefore = structuredClone(command);
            deepFreeze(state);
            deepFreeze(command);
            try {
              decide();
            } catch (error) {
              // Refusals are expected for some cases; a TypeError would mean the decider wrote to frozen input.
              expect(error).not.toBeInstanceOf(TypeError);
            }
            expect(state).toEqual(stateBefore);
            expect(command).toEqual(commandBefore);
          },
        };
      },
    };
  }

  return {
    /** Given these events, folded from the decider's initial state (none: a stream that does not exist yet). */
    given: (...events: Event[]): GivenState<Command, Event, State> => givenState(fold(decider.initialState, events)),
    /** Given a state built some other way (say, by earlier `stateAfter()` steps). */
    givenState,
  };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the command to be refused, but it was accepted');
}

function expectRefusal(error: unknown, refusal: Refusal): void {
  switch (refusal.kind) {
    case 'invalid input':
      expect(error).toBeInstanceOf(InvalidInput);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: refusal.field } });
      return;
    case 'rule violation':
      expect(error).toBeInstanceOf(RuleViolation);
      expect(error).not.toBeInstanceOf(NotFound);
      expect(error).toMatchObject({
        code: 'BUSINESS_RULE_VIOLATION',
        rule: refusal.rule,
        details: { rule: refusal.rule },
      });
      return;
    case 'not found':
      expect(error).toBeInstanceOf(NotFound);
      expect(error).toMatchObject({ code: 'NOT_FOUND', details: { id: refusal.id } });
      return;
    default: {
      const unreachable: never = refusal;
      throw new Error(`unknown refusal ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Freezes `value` and everything reachable from it, so any write to it throws (in strict mode). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
