import {
  getNamedType,
  GraphQLID,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  typeFromAST,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
} from 'graphql';
import { InvalidInput } from '../shared/errors';
import type { OperationGuard } from './operation-guards';

/**
 * Every `ID` an operation carries, in any argument, literal or variable, read or command, is at most `max`
 * characters (MAX_ID_LENGTH). The commands check their own ids again where they use them; this is for the reads,
 * whose ids would otherwise be held as long as a subscription lives, one copy per subscription, or sent to
 * PostgreSQL as they came. Variables are walked by their declared types, so only values the operation can use are
 * looked at, each once.
 */
export function idBounds(max: number): OperationGuard {
  const refuse = (path: string, length: number): never => {
    throw new InvalidInput(`${path} may have at most ${max} characters (MAX_ID_LENGTH), got ${length}`, path);
  };
  // The literals depend on the document alone, and Apollo Server hands the same parsed document to every request
  // that sends the same text: a document whose literals passed is not walked again.
  const literalsPassed = new WeakSet<DocumentNode>();
  return ({ schema, operation, document, variables }) => {
    for (const definition of operation.variableDefinitions ?? []) {
      const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
      const name = definition.variable.name.value;
      if (type) checkValue(type, variables[name], `$${name}`, max, refuse);
    }
    if (literalsPassed.has(document)) return;
    const types = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(types, {
        [Kind.STRING](node) {
          if (node.value.length > max && getNamedType(types.getInputType()) === GraphQLID) {
            refuse(types.getArgument()?.name ?? 'an id', node.value.length);
          }
        },
      }),
    );
    literalsPassed.add(document);
  };
}

function checkValue(
  type: GraphQLInputType,
  value: unknown,
  path: string,
  max: number,
  refuse: (path: string, length: number) => never,
): void {
  if (value === null || value === undefined) return;
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) {
    // A single value where a list is expected is coerced to a list of one (GraphQL's input coercion).
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => checkValue(nullable.ofType, item, `${path}[${i}]`, max, refuse));
  } else if (isInputObjectType(nullable)) {
    if (typeof value !== 'object') return;
    for (const field of Object.values(nullable.getFields())) {
      checkValue(field.type, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`, max, refuse);
    }
  } else if (nullable === GraphQLID && typeof value === 'string' && value.length > max) {
    refuse(path, value.length);
  }
}
