import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// Every relative link in README.md, docs/*.md and the other READMEs resolves: the file exists and, for an anchor into a Markdown
// file, a heading (as GitHub slugs it) or an explicit <a id> there carries it.
const root = path.resolve(__dirname, '../..');
const pages = [
  'README.md',
  'bench/README.md',
  'fulfillment/README.md',
  'examples/typed-client/README.md',
  'examples/clients/README.md',
  'CHANGELOG.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks and inline code. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's anchors: each heading lower-cased, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    found.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const [, id] of markdown.matchAll(/<a id="([^"]+)"/g)) found.add(id!);
  return found;
}

function links(page: string): string[] {
  const text = prose(readFileSync(path.join(root, page), 'utf8'));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/i.test(l));
}

it('reads GitHub’s anchors off headings (the check itself works)', () => {
  expect([
    ...anchors('# A title\n## Subscriptions (graphql-ws)\n### `x` and y\n## A title\n<a id="here"></a>'),
  ]).toEqual(['a-title', 'subscriptions-graphql-ws', 'x-and-y', 'a-title-1', 'here']);
});

it.each(pages)('%s links only to files and anchors that exist', (page) => {
  const broken: string[] = [];
  for (const link of links(page)) {
    const [target, anchor] = link.split('#') as [string, string | undefined];
    const file = target === '' ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), target);
    if (!existsSync(file)) {
      broken.push(`${link}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(file).isDirectory() || !file.endsWith('.md')) {
      broken.push(`${link}: an anchor into something other than a Markdown file`);
      continue;
    }
    if (!anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${link}: no such anchor`);
  }
  expect(broken).toEqual([]);
});
