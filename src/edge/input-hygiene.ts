import { Kind, visit, type DocumentNode } from 'graphql';
import { InvalidInput } from '../shared/errors';
import { unstorableCharacter } from '../shared/text';
import type { OperationGuard } from './operation-guards';

// The literals depend on the document alone, and Apollo Server hands the same parsed document to every request that
// sends the same text: a document whose literals passed is not walked again (weakly held: it goes with the document).
const literalsPassed = new WeakSet<DocumentNode>();

/**
 * No string reaches a resolver that PostgreSQL could not take as a parameter (text and jsonb hold neither NUL nor
 * an unpaired surrogate, and a query that tried would fail as an internal error): every string in the variables
 * and in the document's literals is checked once, in one linear pass each. The domain checks each field's own
 * rules (lengths, controls) where it has them; this covers every argument, reads included.
 */
export const inputHygiene: OperationGuard = ({ document, variables }) => {
  const inVariables = findUnstorable(variables, 'variables');
  if (inVariables) throw new InvalidInput(`${inVariables.path} contains ${inVariables.what}`, inVariables.path);
  if (literalsPassed.has(document)) return;
  visit(document, {
    [Kind.STRING](node) {
      const what = unstorableCharacter(node.value);
      if (what) throw new InvalidInput(`A string in the document contains ${what}`);
    },
  });
  literalsPassed.add(document);
};

type Step = { value: unknown; key: string | number | undefined; parent: Step | undefined };

/**
 * Iterative, not recursive, and the path is spelled out only for the string at fault: variables nested 100,000
 * deep (a 1 MB body can do that) must neither overflow the stack nor build a path string per level.
 */
function findUnstorable(root: unknown, rootPath: string): { path: string; what: string } | undefined {
  const stack: Step[] = [{ value: root, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const { value } = step;
    if (typeof value === 'string') {
      const what = unstorableCharacter(value);
      if (what) return { path: pathOf(step, rootPath), what };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, key: i, parent: step }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        stack.push({ value: key, key: undefined, parent: step }, { value: item, key, parent: step });
      }
    }
  }
  return undefined;
}

function pathOf(step: Step, rootPath: string): string {
  const keys: string[] = [];
  for (let s: Step | undefined = step; s?.parent; s = s.parent) {
    keys.push(s.key === undefined ? ' (a key)' : typeof s.key === 'number' ? `[${s.key}]` : `.${s.key}`);
  }
  return rootPath + keys.reverse().join('');
}
