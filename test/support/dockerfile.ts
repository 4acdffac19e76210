import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export type Instruction = { keyword: string; args: string };
export type Stage = { name: string | undefined; from: string; instructions: Instruction[] };
export type Dockerfile = { args: Record<string, string>; stages: Stage[] };

/** Instructions by stage, continuation lines joined and comments dropped; ARGs before the first FROM with defaults. */
export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += continued ? line.replace(/\\\s*$/, ' ') : line;
    if (continued) continue;
    if (pending.trim()) logical.push(pending.trim());
    pending = '';
  }
  const dockerfile: Dockerfile = { args: {}, stages: [] };
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = keyword!.toUpperCase();
    if (upper === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args!)!;
      dockerfile.stages.push({ name, from: from!, instructions: [] });
    } else if (dockerfile.stages.length === 0) {
      if (upper !== 'ARG') throw new Error(`${upper} before the first FROM`);
      const [name, value = ''] = args!.split('=');
      dockerfile.args[name!] = value;
    } else {
      dockerfile.stages.at(-1)!.instructions.push({ keyword: upper, args: args! });
    }
  }
  return dockerfile;
}

export function all(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The exec (JSON) form, `["node", "…"]`; the shell form throws. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not exec form: ${args}`);
  return parsed;
}

/** The stage's ENV, in `KEY=value` pairs without quotes or references (the only form this Dockerfile uses). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of all(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'$\s]*)$/.exec(pair);
      if (!match) throw new Error(`ENV ${args}: only unquoted KEY=value pairs are read here`);
      env[match[1]!] = match[2]!;
    }
  }
  return env;
}

/** The last CMD of the stage, exec form. */
export function command(stage: Stage): string[] {
  const cmd = all(stage, 'CMD').at(-1);
  if (cmd === undefined) throw new Error('no CMD');
  return execForm(cmd);
}

/** The last HEALTHCHECK of the stage: its options and its command, exec form. */
export function healthcheck(stage: Stage): { options: Record<string, string>; command: string[] } {
  const args = all(stage, 'HEALTHCHECK').at(-1);
  if (args === undefined) throw new Error('no HEALTHCHECK');
  const [, options, cmd] = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)$/.exec(args) ?? [];
  if (cmd === undefined) throw new Error(`HEALTHCHECK ${args}: expected [--option=value …] CMD [exec form]`);
  const pairs = options!.trim() ? options!.trim().split(/\s+/) : [];
  return {
    options: Object.fromEntries(pairs.map((p) => p.replace(/^--/, '').split('=') as [string, string])),
    command: execForm(cmd),
  };
}

/**
 * .dockerignore as a predicate over paths relative to the build context: `*` and `?` within a path segment, `**`
 * across segments, a match on a folder drops everything in it. Exceptions (`!`) are refused rather than misread.
 */
export function dockerignore(text: string): (relative: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      if (line.startsWith('!')) throw new Error(`exception patterns (${line}) are not read here`);
      const clean = line.replace(/^\.?\//, '').replace(/\/+$/, '');
      const source = clean
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => {
          if (part === '**/') return '(?:.*/)?';
          if (part === '**') return '.*';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return new RegExp(`^${source}(?:/.*)?$`);
    });
  return (relative) => patterns.some((p) => p.test(relative));
}

export type StandIns = {
  /** The build context (the repository). */
  context: string;
  /**
   * Stands in for what `npm ci` installs: linked, not installed again. With `--omit=…`, the packages of it that
   * npm would keep by the stage's package-lock.json, hard-linked into a tree of their own (installedTree).
   */
  nodeModules: string;
  ignored: (relative: string) => boolean;
};

/**
 * Carries out each stage's WORKDIR, COPY and RUN in a folder of its own, without a container engine: COPY from the
 * context (minus .dockerignore) or from an earlier stage's folder, `npm ci` by linking `nodeModules`, `npm run …` by
 * running it there. Returns each stage's folder, its WORKDIR's stand-in. Any other instruction that changes files
 * throws: a Dockerfile this cannot follow is not silently half-built.
 */
export async function buildStages(dockerfile: Dockerfile, into: string, standIns: StandIns): Promise<string[]> {
  const folders: string[] = [];
  for (const [index, stage] of dockerfile.stages.entries()) {
    const folder = path.join(into, stage.name ?? `stage-${index}`);
    await fs.mkdir(folder, { recursive: true });
    let workdir: string | undefined;
    const inStage = (target: string) => {
      const absolute = path.posix.resolve(workdir ?? '/', target);
      const relative = path.posix.relative(workdir ?? '/', absolute);
      if (workdir === undefined || relative.startsWith('..')) throw new Error(`${target} is outside WORKDIR`);
      return path.join(folder, relative);
    };
    for (const { keyword, args } of stage.instructions) {
      if (keyword === 'WORKDIR') {
        if (workdir !== undefined) throw new Error('one WORKDIR per stage is read here');
        workdir = args;
      } else if (keyword === 'COPY') {
        await copy(args, {
          dockerfile,
          folders,
          inStage,
          standIns,
          workdirOf: (i) => workdirOf(dockerfile.stages[i]!),
        });
      } else if (keyword === 'RUN') {
        for (const step of args.split('&&').map((s) => s.trim())) await run(step, inStage('.'), standIns);
      } else if (!['ENV', 'ARG', 'USER', 'EXPOSE', 'HEALTHCHECK', 'CMD', 'LABEL'].includes(keyword)) {
        throw new Error(`${keyword} is not carried out here`);
      }
    }
    folders.push(folder);
  }
  return folders;
}

function workdirOf(stage: Stage): string {
  const workdir = all(stage, 'WORKDIR')[0];
  if (!workdir) throw new Error(`stage ${stage.name} has no WORKDIR`);
  return workdir;
}

async function copy(
  args: string,
  ctx: {
    dockerfile: Dockerfile;
    folders: string[];
    inStage: (target: string) => string;
    standIns: StandIns;
    workdirOf: (index: number) => string;
  },
): Promise<void> {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const [dest, ...reversed] = words.filter((w) => !w.startsWith('--')).reverse();
  const sources = reversed.reverse();
  const unknown = flags.filter((f) => !f.startsWith('--from='));
  if (unknown.length > 0) throw new Error(`COPY ${unknown.join(' ')} is not carried out here`);
  const from = flags[0]?.slice('--from='.length);
  const target = ctx.inStage(dest!);
  const intoFolder = dest!.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    let origin: string;
    let filter: (src: string) => boolean = () => true;
    if (from === undefined) {
      origin = path.join(ctx.standIns.context, source);
      filter = (src) => {
        const relative = path.relative(ctx.standIns.context, src);
        return relative === '' || !ctx.standIns.ignored(relative.split(path.sep).join('/'));
      };
      if (!filter(origin)) throw new Error(`COPY ${source}: .dockerignore leaves it out of the context`);
    } else {
      const index = ctx.dockerfile.stages.findIndex((s) => s.name === from);
      if (index < 0 || index >= ctx.folders.length) throw new Error(`COPY --from=${from}: no earlier stage`);
      const relative = path.posix.relative(ctx.workdirOf(index), source);
      if (relative.startsWith('..')) throw new Error(`COPY --from=${from} ${source}: outside that stage's WORKDIR`);
      origin = path.join(ctx.folders[index]!, relative);
    }
    const stat = await fs.lstat(origin);
    const destination = intoFolder && !stat.isDirectory() ? path.join(target, path.basename(origin)) : target;
    // From an earlier stage, a folder is hard-linked rather than copied: the same files, without copying every
    // production package once more (nothing writes to them).
    if (from !== undefined && stat.isDirectory()) await linkFiles(origin, destination, () => true);
    else await fs.cp(origin, destination, { recursive: true, filter, verbatimSymlinks: true, force: true });
  }
}

async function run(step: string, folder: string, standIns: StandIns): Promise<void> {
  if (/^npm ci(\s|$)/.test(step)) {
    const target = path.join(folder, 'node_modules');
    const omit = new Set([...step.matchAll(/\s--omit=(\S+)/g)].map((m) => m[1]!));
    if (omit.size > 0) await installedTree(folder, omit, standIns.nodeModules, target);
    else await fs.symlink(standIns.nodeModules, target);
    return;
  }
  const script = /^npm run (\S+)$/.exec(step)?.[1];
  if (script === undefined) throw new Error(`RUN ${step} is not carried out here`);
  await promisify(execFile)('npm', ['run', '--silent', script], { cwd: folder });
}

type LockEntry = { dev?: boolean; optional?: boolean; devOptional?: boolean; link?: boolean };

/**
 * What `npm ci --omit=…` leaves in node_modules: the packages of the lockfile in `folder` but those npm omits by
 * its flags, as npm's Arborist reads them (`dev`: needed only through devDependencies; `optional`; `devOptional`:
 * through devDependencies or as an optional dependency, so omitted only with both), each one's own files taken
 * from `from` (its nested node_modules are entries of their own). Hard links, not symlinks: Node resolves a
 * package's imports from its real path, which must lie in this tree for an omitted package to be missed. Optional
 * packages of other platforms are absent from `from` and skipped, as npm skips them.
 */
export async function installedTree(folder: string, omit: Set<string>, from: string, into: string): Promise<void> {
  const lock = JSON.parse(await fs.readFile(path.join(folder, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const omitted = (e: LockEntry) =>
    (e.dev && omit.has('dev')) ||
    (e.optional && omit.has('optional')) ||
    (e.devOptional && omit.has('dev') && omit.has('optional'));
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.link || omitted(entry)) continue;
    const relative = key.slice('node_modules/'.length);
    const source = path.join(from, relative);
    const found = await fs.stat(source).catch(() => undefined);
    if (found?.isDirectory()) await linkFiles(source, path.join(into, relative), (name) => name !== 'node_modules');
  }
}

/** Hard links of the files under `source` (symlinks copied as they are), in folders `descend` admits. */
async function linkFiles(source: string, target: string, descend: (folder: string) => boolean): Promise<void> {
  await fs.mkdir(target, { recursive: true });
  for (const entry of await fs.readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) {
      if (descend(entry.name)) await linkFiles(from, to, descend);
    } else if (entry.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(from), to);
    } else {
      await fs.link(from, to).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        return fs.copyFile(from, to);
      });
    }
  }
}
