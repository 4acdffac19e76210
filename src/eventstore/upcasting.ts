import type { StoredEvent } from './types';

/** One step of an event's evolution: its payload at version `from` becomes its payload at `from + 1`. */
export type Upcaster = (payload: unknown) => unknown;

/**
 * What each event type's payload looks like now, and how older shapes become it: `version` is the current schema
 * version (written with every new event), `upcasters[n]` turns version n into n + 1. Event types not listed are
 * at version 1 and never change.
 */
export type EventSchemas = Readonly<
  Record<string, { readonly version: number; readonly upcasters?: Readonly<Record<number, Upcaster>> }>
>;

export type Upcasting = {
  /** The schema version new events of this type are written with. */
  currentVersion(eventType: string): number;
  /** The event in its current shape: stored events are never rewritten, they are read up, one step at a time. */
  upcast(event: StoredEvent): StoredEvent;
};

export function upcasting(schemas: EventSchemas): Upcasting {
  return {
    currentVersion: (eventType) => schemas[eventType]?.version ?? 1,
    upcast(event) {
      const schema = schemas[event.eventType];
      if (!schema || event.schemaVersion >= schema.version) return event;
      let payload = event.payload;
      for (let version = event.schemaVersion; version < schema.version; version++) {
        const step = schema.upcasters?.[version];
        if (!step) throw new Error(`${event.eventType} has no upcaster from schema version ${version}`);
        payload = step(payload);
      }
      return { ...event, schemaVersion: schema.version, payload };
    },
  };
}
