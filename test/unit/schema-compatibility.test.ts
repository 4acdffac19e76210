import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

// The API's compatibility check, run with every test run and so in CI: schema.graphql against the schema of the
// last release (schema-history/<version>.graphql, the highest version there). A change that breaks a client of that
// release fails here unless CHANGELOG.md's Unreleased "Breaking" section names its schema coordinate in backticks,
// beside the migration it asks of clients. Releasing copies schema.graphql to schema-history/ under the new version.
const root = path.resolve(__dirname, '../..');

function lastRelease(): { version: string; sdl: string } {
  const versions = readdirSync(path.join(root, 'schema-history'))
    .filter((file) => /^\d+\.\d+\.\d+\.graphql$/.test(file))
    .map((file) => file.replace(/\.graphql$/, ''))
    .sort((a, b) => {
      const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
  const version = versions.at(-1)!;
  return { version, sdl: readFileSync(path.join(root, 'schema-history', `${version}.graphql`), 'utf8') };
}

/** The text of CHANGELOG.md's "### Breaking" under "## Unreleased" (empty when there is none). */
function unreleasedBreaking(changelog: string): string {
  const unreleased = changelog.split(/^## /m).find((section) => section.startsWith('Unreleased')) ?? '';
  return unreleased.split(/^### /m).find((section) => section.startsWith('Breaking')) ?? '';
}

describe('schema compatibility with the last release', () => {
  it('every breaking change since the last release is listed in CHANGELOG.md under Unreleased › Breaking', async () => {
    const released = lastRelease();
    const changes = await diff(
      buildSchema(released.sdl),
      buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8')),
    );
    const breaking = unreleasedBreaking(readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'));
    const unlisted = changes
      .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
      .filter((change) => !breaking.includes(`\`${change.path ?? ''}\``))
      .map((change) => `${change.path}: ${change.message}`);
    expect(unlisted).toEqual([]);
  });

  it('finds a section only where the changelog has one', () => {
    const changelog = [
      '# Changelog',
      '## Unreleased',
      '### Added',
      '- `Query.x`',
      '### Breaking',
      '- `Order.total` is Money',
      '## 0.1.0',
      '### Breaking',
      '- `Order.old`',
    ].join('\n');
    expect(unreleasedBreaking(changelog)).toContain('`Order.total`');
    expect(unreleasedBreaking(changelog)).not.toContain('`Order.old`');
    expect(unreleasedBreaking(changelog)).not.toContain('`Query.x`');
    expect(unreleasedBreaking('# Changelog\n## 0.1.0\n### Breaking\n- `A.b`')).toBe('');
  });
});
