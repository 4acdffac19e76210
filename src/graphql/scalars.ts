import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { positionFromDigits } from '../graphql-kit/cursor';
import type { ErrorCode } from '../shared/errors';

const badInput = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode } });

function parseDecimal(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw badInput(`Decimal must be a string such as "59.98" or a JSON number, got ${preview(value)}`);
}

/**
 * Exact amounts as strings. Parsing keeps the text as the client wrote it: whether it is an acceptable amount
 * (non-negative, at most its currency's decimals) is a domain rule, checked and reported there with the field it
 * belongs to.
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  serialize: (value) => String(value),
  parseValue: parseDecimal,
  parseLiteral(ast: ValueNode) {
    // A literal keeps the digits as written: 1.234 must reach the domain as "1.234" to be refused as such.
    if (ast.kind === Kind.STRING || ast.kind === Kind.FLOAT || ast.kind === Kind.INT) return ast.value;
    throw badInput('Decimal must be a string or a number');
  },
});

function parsePosition(value: unknown): bigint {
  const position = typeof value === 'string' ? positionFromDigits(value) : undefined;
  if (position !== undefined) return position;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw badInput(`Position must be a string of at most 19 digits within a 64-bit integer, got ${preview(value)}`);
}

/** Enough of a bad value to recognise it, never the whole of a huge one. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Log positions are 64-bit: beyond GraphQL's Int and JavaScript's safe integers, so they travel as strings. */
export const PositionScalar = new GraphQLScalarType<bigint, string>({
  name: 'Position',
  serialize: (value) => String(value),
  parseValue: parsePosition,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parsePosition(ast.value);
    throw badInput('Position must be a string of digits');
  },
});

export const scalarResolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  Decimal: DecimalScalar,
  Position: PositionScalar,
};
