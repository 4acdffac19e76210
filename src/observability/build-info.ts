import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildInfo } from './metrics';

/**
 * package.json's version (read once, at start: from src/ or a compiled copy beside it alike) and the commit the
 * build was made from, when BUILD_COMMIT says.
 */
export function buildInfo(commit: string | undefined): BuildInfo {
  let version = 'unknown';
  try {
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      version?: unknown;
    };
    if (typeof manifest.version === 'string') version = manifest.version;
  } catch {
    // A copy without its package.json still serves; its metrics say so.
  }
  return { version, commit };
}
