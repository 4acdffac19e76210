import fs from 'node:fs';
import path from 'node:path';

/** package.json sits one folder above src/ and dist/ alike. */
const PACKAGE_JSON = path.resolve(__dirname, '../package.json');

/** package.json's `engines.node`: the Node.js releases the service is built and tested for. */
export function requiredNode(): string {
  const { engines } = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')) as { engines: { node: string } };
  return engines.node;
}

/**
 * Why this Node.js cannot run the service, or undefined when it can. `range` is `>=major.minor`, the only form
 * package.json uses. Started through npm, the service runs on the project's pinned Node.js (the `node` package in
 * node_modules/.bin); a machine's own older Node.js is what `node` or `npx tsx` outside npm would find.
 */
export function unsupportedNode(range: string, version = process.versions.node): string | undefined {
  const wanted = /^>=(\d+)\.(\d+)$/.exec(range);
  if (!wanted) throw new Error(`engines.node ${range}: expected >=major.minor`);
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [wantMajor, wantMinor] = [Number(wanted[1]), Number(wanted[2])];
  if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return undefined;
  return (
    `Node.js ${version} is too old: orderstream needs ${wantMajor}.${wantMinor} or later. Run it through npm ` +
    '(npm start, npm test, npm run …), which uses the Node.js that `npm install` put in node_modules/.bin, or install that release'
  );
}
