import fs from 'node:fs';
import path from 'node:path';
import { requiredNode, unsupportedNode } from '../../src/node-support';

const ROOT = path.resolve(__dirname, '../..');
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lockfile = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));

describe('the Node.js the service runs on', () => {
  it('admits the releases from engines on and refuses older ones, saying how to get one', () => {
    expect(unsupportedNode('>=24.21', '24.21.0')).toBeUndefined();
    expect(unsupportedNode('>=24.21', '24.22.1')).toBeUndefined();
    expect(unsupportedNode('>=24.21', '26.0.0')).toBeUndefined();
    expect(unsupportedNode('>=24.21', '24.20.9')).toMatch(/24\.20\.9 is too old: .* needs 24\.21 or later/);
    expect(unsupportedNode('>=24.21', '20.20.2')).toMatch(/Run it through npm .*node_modules\/\.bin/);
    expect(() => unsupportedNode('^24', '24.21.0')).toThrow(/expected >=major\.minor/);
  });

  it('pins the `node` package that npm scripts run on, exactly, in package.json and the lockfile, within engines', () => {
    const pinned = packageJson.devDependencies.node as string;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lockfile.packages['node_modules/node'].version).toBe(pinned);
    expect(unsupportedNode(requiredNode(), pinned)).toBeUndefined();
    expect(requiredNode()).toBe(packageJson.engines.node);
  });

  // Jest started by `npm test` or `npx jest` runs on node_modules/.bin/node, and so does every server the tests
  // start with process.execPath; a jest started outside npm, on the machine's own Node.js, fails here.
  it('is the one these tests run on', () => {
    expect(unsupportedNode(requiredNode())).toBeUndefined();
    expect(process.version).toBe(`v${packageJson.devDependencies.node}`);
  });
});
