import { isEnumType } from 'graphql';
import { buildSchema } from '../../src/graphql/schema';

const schema = buildSchema();

function enumValues(name: string): ReadonlySet<string> {
  const type = schema.getType(name);
  if (!isEnumType(type)) throw new Error(`schema.graphql has no enum ${name}`);
  return new Set(type.getValues().map((value) => value.name));
}

/** The `extensions.code` values the schema lists (enum ErrorCode). */
export const ERROR_CODES = enumValues('ErrorCode');
/** The `extensions.rule` values the schema lists (enum BusinessRule). */
export const BUSINESS_RULES = enumValues('BusinessRule');

/**
 * What in a response's errors the schema does not list: an error without a code, a code not in ErrorCode, a rule
 * not in BusinessRule. The test helpers that see errors (gql, ws, collect, wsRequest, raw-http) check every one, so
 * the whole suite fails on a code the server sends but clients cannot have as a type.
 */
export function unlistedCodes(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((error: { message?: unknown; extensions?: { code?: unknown; rule?: unknown } }) => {
    const { code, rule } = error?.extensions ?? {};
    const found: string[] = [];
    if (typeof code !== 'string' || !ERROR_CODES.has(code)) {
      found.push(`code ${JSON.stringify(code)} (not in enum ErrorCode) on "${String(error?.message)}"`);
    }
    if (rule !== undefined && (typeof rule !== 'string' || !BUSINESS_RULES.has(rule))) {
      found.push(`rule ${JSON.stringify(rule)} (not in enum BusinessRule) on "${String(error?.message)}"`);
    }
    return found;
  });
}

/** An Error naming what in these errors the schema does not list (see unlistedCodes), if anything. */
export function unlistedError(errors: unknown): Error | undefined {
  const unlisted = unlistedCodes(errors);
  if (unlisted.length === 0) return undefined;
  return new Error(`The server sent what schema.graphql does not list: ${unlisted.join('; ')}`);
}

/** Throws if the server sent an error the schema's enums do not list. */
export function expectListedCodes(errors: unknown): void {
  const error = unlistedError(errors);
  if (error) throw error;
}
