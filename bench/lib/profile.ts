import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Summarises a V8 .cpuprofile (what `node --cpu-prof` writes) by self time: the hottest functions, and the time
 * per package (node_modules/<name>), per project folder (src/...), or node internals. Used by `--profile`.
 */

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
};
type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

export type ProfileSummary = {
  file: string;
  totalMs: number;
  byGroup: { group: string; ms: number; share: number }[];
  topFunctions: { fn: string; where: string; ms: number; share: number }[];
};

function groupOf(url: string, functionName: string, root: string): string {
  // Native code has no url: name it (e.g. `native writev`: socket writes, including the time the kernel spends).
  if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName || '(anonymous)'}`;
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (file.startsWith('node:')) return 'node internals';
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (file.startsWith(root)) {
    const rel = path.relative(root, file).split(path.sep);
    return rel.length > 2 ? `${rel[0]}/${rel[1]}` : rel.join('/');
  }
  return file;
}

export async function summarizeProfile(file: string, root: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await fs.readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node from the sample stream (timeDeltas are µs before each sample).
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let totalUs = 0;
  const groups = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    totalUs += us;
    const group = groupOf(url, functionName, root);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const where = url
      ? `${group === 'node internals' ? url : path.relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}`
      : '';
    const key = `${functionName}@${where}`;
    const entry = functions.get(key) ?? { fn: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const ms = (us: number) => Number((us / 1000).toFixed(1));
  const share = (us: number) => Number((us / totalUs).toFixed(3));
  return {
    file,
    totalMs: ms(totalUs),
    byGroup: [...groups]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, us]) => ({ group, ms: ms(us), share: share(us) })),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, ms: ms(f.us), share: share(f.us) })),
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (s: number) => `${(s * 100).toFixed(1).padStart(5)}%`;
  return [
    `server CPU profile: ${summary.totalMs} ms on-CPU (excluding idle), ${summary.file}`,
    '  by package / folder (self time):',
    ...summary.byGroup.map((g) => `    ${pct(g.share)}  ${g.group}`),
    '  hottest functions (self time):',
    ...summary.topFunctions.map((f) => `    ${pct(f.share)}  ${f.fn}  ${f.where}`),
  ].join('\n');
}
