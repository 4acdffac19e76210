import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isEnumType } from 'graphql';
import { buildSchema } from '../../src/graphql/schema';
import { unlistedCodes } from '../support/error-codes';

// docs/api.md's tables of error codes and business rules are the schema's enums ErrorCode and BusinessRule, value
// for value and word for word; and the check the test helpers run on every error they see.

const schema = buildSchema();
const apiDoc = readFileSync(path.resolve(__dirname, '../../docs/api.md'), 'utf8');

/** The rows of the docs table headed `| \`name\` | … |`: each value and its description. */
function docsTable(name: string): [string, string][] {
  const start = apiDoc.indexOf(`| \`${name}\` |`);
  expect(start).toBeGreaterThanOrEqual(0);
  const rows = apiDoc.slice(start).split('\n\n')[0]!.split('\n').slice(2);
  return rows.map((row) => {
    const [, value, description] = /^\| `(\w+)` \| (.*) \|$/.exec(row) ?? [];
    return [value ?? row, description ?? ''];
  });
}

function schemaEnum(name: string): [string, string][] {
  const type = schema.getType(name);
  if (!isEnumType(type)) throw new Error(`no enum ${name}`);
  return type.getValues().map((value) => [value.name, value.description ?? '']);
}

it.each(['ErrorCode', 'BusinessRule'])('docs/api.md lists %s as the schema does, with its descriptions', (name) => {
  expect(docsTable(name)).toEqual(schemaEnum(name));
});

it('passes listed codes and rules, and names an unlisted code or rule, or a missing code', () => {
  const error = (extensions?: Record<string, unknown>) => ({ message: 'm', extensions });
  expect(
    unlistedCodes([
      error({ code: 'NOT_FOUND', id: 'x' }),
      error({ code: 'BUSINESS_RULE_VIOLATION', rule: 'SHIP_ONLY_WHEN_PAID' }),
      error({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 20 }),
    ]),
  ).toEqual([]);
  expect(
    unlistedCodes([
      error({ code: 'NO_SUCH_CODE' }),
      error({ code: 'BUSINESS_RULE_VIOLATION', rule: 'NO_SUCH_RULE' }),
      error(),
    ]),
  ).toEqual([
    'code "NO_SUCH_CODE" (not in enum ErrorCode) on "m"',
    'rule "NO_SUCH_RULE" (not in enum BusinessRule) on "m"',
    'code undefined (not in enum ErrorCode) on "m"',
  ]);
  // What is not a list of GraphQL errors (a socket's close event) has no codes to check.
  expect(unlistedCodes({ code: 4403, reason: 'Forbidden' })).toEqual([]);
});
