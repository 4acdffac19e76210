import fs from 'node:fs';

/**
 * Linux /proc readers: a process's memory and CPU time, and the machine's CPU time. Each returns undefined where
 * /proc is missing (not Linux) so callers skip the figure instead of inventing one.
 */

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export type Memory = {
  /** Resident set size now. */
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM). */
  peakRssBytes: number;
};

/** VmRSS and VmHWM from /proc/<pid>/status. */
export function processMemory(pid: number): Memory | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const rssBytes = kib('VmRSS');
  const peakRssBytes = kib('VmHWM');
  if (rssBytes === undefined || peakRssBytes === undefined) return undefined;
  return { rssBytes, peakRssBytes };
}

/** Fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses. */
function statFields(pid: number | string): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : undefined;
}

// Indexes into statFields: field N of proc(5) is at N - 3.
const PPID = 1;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;

/** User and system (kernel, e.g. socket writes) CPU seconds a process has used so far (all its threads). */
export function processCpuTimes(pid: number): { user: number; system: number } | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  const user = Number(fields[UTIME]);
  const system = Number(fields[STIME]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return { user: user / CLOCK_TICKS_PER_SECOND, system: system / CLOCK_TICKS_PER_SECOND };
}

/** User + system CPU seconds a process has used so far (all its threads). */
export function processCpuSeconds(pid: number): number | undefined {
  const times = processCpuTimes(pid);
  return times && times.user + times.system;
}

/**
 * CPU seconds of a process and its children, those still running and those it has reaped: e.g. a PostgreSQL
 * postmaster and its backends, including backends of connections closed since.
 */
export function processTreeCpuSeconds(rootPid: number): number | undefined {
  const root = statFields(rootPid);
  if (!root) return undefined;
  let ticks = Number(root[UTIME]) + Number(root[STIME]) + Number(root[CUTIME]) + Number(root[CSTIME]);
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[PPID]) === rootPid) ticks += Number(fields[UTIME]) + Number(fields[STIME]);
  }
  return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : undefined;
}

export type MachineCpu = {
  /** Time in processes (user, nice, system) and stolen by the hypervisor. */
  busySeconds: number;
  /** Interrupt and softirq time (e.g. loopback network processing), accounted to no process. */
  irqSeconds: number;
  totalSeconds: number;
};

/** The whole machine's CPU time, all cores, from the first line of /proc/stat. */
export function machineCpu(): MachineCpu | undefined {
  const stat = read('/proc/stat');
  const line = stat?.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return undefined;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  const busy = user + nice + system + steal;
  return {
    busySeconds: busy / CLOCK_TICKS_PER_SECOND,
    irqSeconds: (irq + softirq) / CLOCK_TICKS_PER_SECOND,
    totalSeconds: (busy + irq + softirq + idle + iowait) / CLOCK_TICKS_PER_SECOND,
  };
}

export type CpuWindow = {
  /** CPU of the server process, in cores (1.0 = one core busy for the whole window). */
  serverCores?: number;
  /** The part of serverCores spent in the kernel (system calls: socket reads and writes). */
  serverSystemCores?: number;
  /** CPU of this benchmark process (the load generator). */
  benchCores: number;
  /** CPU of the PostgreSQL server (postmaster and backends), when it is the embedded one. */
  databaseCores?: number;
  /** CPU of the whole machine in processes (server + database + load generator + anything else). */
  machineCores?: number;
  /** Interrupt and softirq time of the machine (network processing accounted to no process). */
  irqCores?: number;
  /**
   * The machine's CPU not accounted for by the three above: other processes competing with the measurement (or,
   * without an embedded database, the database too).
   */
  otherCores?: number;
};

/** Starts measuring CPU use over a window; call the result to end it. */
export function cpuWindow(serverPid: number, databasePid?: number): () => CpuWindow {
  const started = performance.now();
  const server0 = processCpuTimes(serverPid);
  const database0 = databasePid === undefined ? undefined : processTreeCpuSeconds(databasePid);
  const bench0 = process.cpuUsage();
  const machine0 = machineCpu();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const server1 = processCpuTimes(serverPid);
    const bench = process.cpuUsage(bench0);
    const machine1 = machineCpu();
    const database1 = databasePid === undefined ? undefined : processTreeCpuSeconds(databasePid);
    const cores = (v: number) => Number((v / seconds).toFixed(2));
    const window: CpuWindow = {
      serverCores:
        server0 && server1 ? cores(server1.user + server1.system - server0.user - server0.system) : undefined,
      serverSystemCores: server0 && server1 ? cores(server1.system - server0.system) : undefined,
      benchCores: cores((bench.user + bench.system) / 1e6),
      databaseCores: database0 !== undefined && database1 !== undefined ? cores(database1 - database0) : undefined,
      machineCores: machine0 && machine1 ? cores(machine1.busySeconds - machine0.busySeconds) : undefined,
      irqCores: machine0 && machine1 ? cores(machine1.irqSeconds - machine0.irqSeconds) : undefined,
    };
    if (window.machineCores !== undefined && window.serverCores !== undefined) {
      const accounted = window.serverCores + window.benchCores + (window.databaseCores ?? 0);
      window.otherCores = Number(Math.max(0, window.machineCores - accounted).toFixed(2));
    }
    return window;
  };
}

/**
 * Waits until a process is idle: below `thresholdCores` (default 0.1) of CPU over a `windowMs` window (the server's
 * projectors have caught up with the log after a burst of appends), or `maxMs` passed. Resolves with how long it
 * waited and whether it got idle; at once (0 s, idle unknown) where /proc is missing.
 */
export async function waitUntilIdle(
  pid: number,
  options: { thresholdCores?: number; windowMs?: number; maxMs: number },
): Promise<{ seconds: number; idle: boolean | undefined; lastCores?: number }> {
  const threshold = options.thresholdCores ?? 0.1;
  const windowMs = options.windowMs ?? 1000;
  const started = performance.now();
  let before = processCpuSeconds(pid);
  if (before === undefined) return { seconds: 0, idle: undefined };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = processCpuSeconds(pid);
    if (after === undefined) return { seconds: 0, idle: undefined };
    const elapsed = performance.now() - started;
    const lastCores = Number(((after - before) / (windowMs / 1000)).toFixed(2));
    const seconds = Number((elapsed / 1000).toFixed(1));
    if (lastCores < threshold) return { seconds, idle: true, lastCores };
    if (elapsed >= options.maxMs) return { seconds, idle: false, lastCores };
    before = after;
  }
}

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS, so a later VmHWM is the peak of what happened since
 * (writing 5 to /proc/<pid>/clear_refs; Linux 4.0+, own processes only). False where that is not possible.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples a process's RSS every `everyMs` until stopped: the highest sample, and how many were taken. VmHWM
 * catches peaks between samples; this catches peaks when VmHWM cannot be reset. Undefined without /proc.
 */
export function sampleRss(pid: number, everyMs = 100): () => { maxRssBytes: number; samples: number } | undefined {
  let maxRssBytes = 0;
  let samples = 0;
  const take = () => {
    const memory = processMemory(pid);
    if (!memory) return;
    samples++;
    if (memory.rssBytes > maxRssBytes) maxRssBytes = memory.rssBytes;
  };
  take();
  const timer = setInterval(take, everyMs);
  return () => {
    clearInterval(timer);
    take();
    return samples > 0 ? { maxRssBytes, samples } : undefined;
  };
}
