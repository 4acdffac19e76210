import path from 'node:path';
import ts from 'typescript';

// The pages' browser scripts are plain files served as they are: each is type-checked against the DOM by its own
// configuration (src/edge/pages), as `npm run typecheck` does, so a typo in one fails here rather than in a browser.

const PAGES = path.resolve(__dirname, '../../src/edge/pages');

function diagnostics(config: string): string[] {
  const file = path.join(PAGES, config);
  const { config: json } = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(json, ts.sys, PAGES);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
}

it.each(['tsconfig.ide.json', 'tsconfig.live.json'])('type-checks the page script of %s', (config) => {
  expect(diagnostics(config)).toEqual([]);
});
