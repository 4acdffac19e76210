import { isEnumType, isObjectType, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';

/** What a slice appends: its aggregate's type and every type of event it appends. */
export type SliceEvents = { readonly aggregateType: string; readonly eventTypes: readonly string[] };

/** The values of an enum of the schema's document (none if it has no such enum). */
export function enumValues(document: DocumentNode, name: string): string[] {
  const found = document.definitions.find((d) => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === name);
  return found?.kind === Kind.ENUM_TYPE_DEFINITION ? (found.values ?? []).map((v) => v.name.value) : [];
}

/**
 * Where the schema and the slices disagree on events, one line each (none: they agree). An event is served as the
 * object type named by its eventType, with eventType and aggregateType as enum values: a type a slice appends that
 * the schema lacks could not be served at all, so the schema must have it as an EventType value and as an object
 * type implementing Event, and its aggregate as an AggregateType value. The enums list nothing more, so that a
 * typed client's exhaustive switch over them matches what the service appends.
 */
export function eventTypeMismatches(schema: GraphQLSchema, slices: readonly SliceEvents[]): string[] {
  const problems: string[] = [];
  const event = schema.getType('Event');
  const compare = (enumName: string, appended: readonly string[]) => {
    const type = schema.getType(enumName);
    const values = isEnumType(type) ? type.getValues().map((v) => v.name) : [];
    for (const name of appended.filter((n) => !values.includes(n)))
      problems.push(`${enumName} has no value ${name}, which a slice appends`);
    for (const name of values.filter((n) => !appended.includes(n)))
      problems.push(`${enumName} has ${name}, which no slice appends`);
  };
  compare(
    'AggregateType',
    slices.map((s) => s.aggregateType),
  );
  const eventTypes = slices.flatMap((s) => s.eventTypes);
  compare('EventType', eventTypes);
  for (const name of eventTypes) {
    const type = schema.getType(name);
    if (!isObjectType(type) || !type.getInterfaces().some((i) => i === event))
      problems.push(`the schema has no object type ${name} implementing Event`);
  }
  return problems;
}
