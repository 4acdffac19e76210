import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** A file that loads a package, and whether it does so only when a path through it runs (`import()`). */
export type PackageUse = { file: string; dynamic: boolean };

/**
 * The packages the TypeScript files under `folders` load at run time, with the files that load them: static and
 * dynamic imports, re-exports and `require` calls. Imports that the compilers erase (`import type`, or only `type`
 * names) are left out, and so are Node's built-in modules.
 */
export function runtimePackages(folders: string[]): Map<string, PackageUse[]> {
  const found = new Map<string, PackageUse[]>();
  const add = (specifier: string, file: string, dynamic = false) => {
    if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) return;
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
    found.set(name, [...(found.get(name) ?? []), { file, dynamic }]);
  };
  for (const file of folders.flatMap((folder) => typeScriptFiles(folder))) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && !erased(node)) {
        add(node.moduleSpecifier.text, file);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        if (!node.isTypeOnly) add(node.moduleSpecifier.text, file);
      } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0]!)) {
        const dynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
        const required = ts.isIdentifier(node.expression) && node.expression.text === 'require';
        if (dynamicImport || required) add(node.arguments[0].text, file, dynamicImport);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** An import whose every binding is a type: TypeScript and esbuild (tsx) drop it from the emitted code. */
function erased(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

function typeScriptFiles(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
