/**
 * `npm run bench [-- --quick]`: the benchmark harness (see bench/README.md and docs/performance.md).
 *
 * Starts PostgreSQL (DATABASE_URL's server, or a throwaway embedded one), creates and migrates a fresh database,
 * starts the real server as a separate process (`node --import tsx src/main.ts`), runs the stages below against it
 * over real connections, prints the table on stdout (progress goes to stderr) and writes bench/results/latest.json.
 * Every figure with a raw baseline was measured in this same run, against the same database.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDatabase, type BenchDatabase } from './lib/database';
import { formatMetricsTable, metricsProblems, metricsRow, scrapeMetrics, type MetricsRow } from './lib/metrics';
import { formatProfileSummary, summarizeProfile, type ProfileSummary } from './lib/profile';
import { Progress } from './lib/progress';
import { formatTable, writeJson } from './lib/report';
import { PROJECT_ROOT, startServer, type ServerProcess } from './lib/server';
import { appendsStage } from './stages/appends';
import { authStage } from './stages/auth';
import { busStage } from './stages/bus';
import { fanoutStage } from './stages/fanout';
import { latencyStage } from './stages/latency';
import { peerStage } from './stages/peer';
import { queriesStage } from './stages/queries';
import { rebuildStage } from './stages/rebuild';
import { storeClientStage } from './stages/store-client';
import { memoryStage } from './stages/memory';
import { soakStage } from './stages/soak';
import type { Figure, Mode, Stage } from './stages/types';

/**
 * The stages, in order, all against one server process (each its own module in bench/stages/, returning only
 * figures it measured; see stages/types.ts). Fan-out comes before rebuild so that the server's memory during the
 * fan-out is not mixed with the rebuild's, and so that the million-event log the rebuild writes does not sit
 * under the other measurements; the bus stage too, since it publishes the whole log (twice per broker, and the
 * baseline holds it in memory): after the rebuild's fill, that was a million events and most of the run. The soak
 * comes before the fan-out, whose thousand subscribers would otherwise be in the memory it measures.
 */
const STAGES: Stage[] = [
  memoryStage({ id: 'idle', label: 'idle', settleMs: 1000 }),
  appendsStage,
  memoryStage({ id: 'appends', label: 'after appends', withPeak: true }),
  storeClientStage,
  queriesStage,
  peerStage,
  authStage,
  latencyStage,
  soakStage(),
  fanoutStage,
  memoryStage({ id: 'fanout', label: 'after fan-out' }),
  busStage,
  rebuildStage,
];

const RESULTS_FILE = path.join(__dirname, 'results', 'latest.json');

function parseArgs(argv: string[]): { mode: Mode; profile: boolean; only?: string[]; soak?: number } {
  let mode: Mode = 'full';
  let profile = false;
  let soak: number | undefined;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--only' && argv[i + 1]) only = argv[++i]!.split(',');
    else if (arg === '--full') mode = 'full';
    else if (arg === '--profile') profile = true;
    else if (arg === '--soak') soak = /^\d+(\.\d+)?$/.test(argv[i + 1] ?? '') ? Number(argv[++i]) : 10;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench [-- --quick]\n' +
          '  --quick  small sizes, about 3 minutes (CI smoke run; asserts nothing about speed)\n' +
          '  (default) full mode, under 15 minutes on a 2-core machine\n' +
          '  --profile  run the server under node --cpu-prof and summarise where its CPU went (slows it down)\n' +
          '  --only a,b  run only the stages whose names start with these (e.g. --only latency,fan-out); for working\n' +
          '             on one stage, not for published figures\n' +
          '  --soak [minutes]  only the soak stage, long: 80 commands/s with 50 subscribers for 10 (or that many) minutes\n' +
          'DATABASE_URL: run against that PostgreSQL server (needs CREATEDB) instead of an embedded one\n',
      );
      process.exit(0);
    } else {
      process.stderr.write(`unknown option ${arg} (try --help)\n`);
      process.exit(2);
    }
  }
  return { mode, profile, only, soak };
}

async function main(): Promise<number> {
  const { mode, profile, only, soak } = parseArgs(process.argv.slice(2));
  const stageList =
    soak !== undefined
      ? [soakStage(soak)]
      : only
        ? STAGES.filter((s) => only.some((prefix) => s.name.startsWith(prefix)))
        : STAGES;
  const profileDir = profile ? path.join(__dirname, 'results', `profile-${Date.now()}`) : undefined;
  const progress = new Progress();
  const startedAt = new Date();
  const figures: Figure[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  const stages: Record<string, { seconds: number; details?: unknown }> = {};
  let database: BenchDatabase | undefined;
  let server: ServerProcess | undefined;
  let serverExitCode: number | null | undefined;
  let databaseInfo: Record<string, unknown> = {};
  let serverInfo: Record<string, unknown> = {};
  const metricsRows: MetricsRow[] = [];
  const scrape = async (after: string) => {
    try {
      metricsRows.push(metricsRow(after, await scrapeMetrics(server!)));
    } catch (error) {
      problems.push(`scraping /metrics after ${after}: ${(error as Error).message}`);
    }
  };

  // Stops the server, then drops the database and stops PostgreSQL; once, however many callers (Ctrl-C, the end).
  let shuttingDown: Promise<void> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      if (server) {
        progress.section('stopping the server');
        serverExitCode = await server.stop().catch((error: unknown) => {
          problems.push(`server shutdown: ${(error as Error).message}`);
          return null;
        });
        if (serverExitCode !== 0) problems.push(`the server exited with code ${serverExitCode} on SIGTERM`);
        server = undefined;
      }
      if (database) {
        progress.section(database.embedded ? 'dropping the database, stopping PostgreSQL' : 'dropping the database');
        await database.stop().catch((error: unknown) => problems.push(`database cleanup: ${(error as Error).message}`));
        database = undefined;
      }
    })());
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    progress.warn(`${signal}: cleaning up`);
    void shutdown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const total = stageList.reduce((sum, s) => sum + s.estimateSeconds(mode), 0);
  if (only) notes.push(`partial run (--only ${only.join(',')}): ${stageList.map((s) => s.name).join(', ')}`);
  if (soak !== undefined) notes.push(`partial run (--soak ${soak}): the soak stage alone, ${soak} minutes`);
  progress.section(
    `orderstream bench, ${mode} mode: ${stageList.length} stages, about ${Math.ceil(total)} s of measuring`,
  );
  try {
    progress.section('setup');
    database = await startDatabase((message) => progress.info(message));
    databaseInfo = { embedded: database.embedded, settings: database.info };
    server = await startServer({
      databaseUrl: database.url,
      nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
      // The fan-out's subscribers are one caller (the bench's admin token) on one address, each on its own socket:
      // far over the caps a single real caller gets, which are not what the fan-out measures.
      env: {
        WS_MAX_CONNECTIONS_PER_ADDRESS: '0',
        WS_MAX_CONNECTIONS_PER_PRINCIPAL: '0',
        WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: '1000000',
      },
      onLine: (line) => progress.passthrough('[server]', line),
    });
    progress.info(`server ready at ${server.url} (pid ${server.pid})`);
    serverInfo = {
      command: 'node --import tsx src/main.ts',
      env: { ...server.env, DATABASE_URL: '(the run database)' },
      poolSize: process.env.DB_POOL_SIZE ?? '20 (default)',
    };
    await scrape('start');

    for (const stage of stageList) {
      if (interrupted) break;
      progress.section(`${stage.name} (about ${Math.ceil(stage.estimateSeconds(mode))} s)`);
      const started = performance.now();
      try {
        const result = await stage.run({
          mode,
          server,
          databaseUrl: database.url,
          databasePid: database.postmasterPid,
          progress,
        });
        figures.push(...result.figures);
        problems.push(...(result.problems ?? []));
        notes.push(...(result.notes ?? []));
        stages[stage.name] = {
          seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
          details: result.details,
        };
        await scrape(stage.name);
      } catch (error) {
        problems.push(`stage ${stage.name} failed: ${(error as Error).stack ?? String(error)}`);
        break;
      }
    }
  } catch (error) {
    problems.push(`setup failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await shutdown();
  }
  if (interrupted) return 130;
  // A partial run may hold no stage that sends commands.
  if (!only && soak === undefined) problems.push(...metricsProblems(metricsRows));

  let profileSummary: ProfileSummary | undefined;
  if (profileDir) {
    notes.push('the server ran under --cpu-prof: its figures are lower than without the profiler');
    // One profile per thread: the main thread's is thread 0 (tsx's module hooks run in a worker of their own).
    const file = (await fs.readdir(profileDir).catch(() => [] as string[])).find((f) =>
      /\.\d+\.0\.\d+\.cpuprofile$/.test(f),
    );
    if (file) {
      profileSummary = await summarizeProfile(path.join(profileDir, file), PROJECT_ROOT);
      process.stderr.write(`\n${formatProfileSummary(profileSummary)}\n`);
    } else {
      problems.push(`--profile: no .cpuprofile was written to ${profileDir}`);
    }
  }

  const finishedAt = new Date();
  const seconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  await writeJson(RESULTS_FILE, {
    mode,
    only,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds,
    serverExitCode,
    machine: {
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
      node: process.version,
    },
    legend: [
      'ratio = value / baseline: below 1 for a rate means the service does less than raw PostgreSQL; above 1 for a latency means it takes longer',
      'CPU figures in stage details are in cores (1.0 = one core busy for the whole window)',
    ],
    database: databaseInfo,
    server: serverInfo,
    figures,
    notes,
    problems,
    stages,
    profile: profileSummary,
    metrics: metricsRows,
  });

  process.stdout.write(`\norderstream bench (${mode}, ${os.cpus().length} CPUs, node ${process.version})\n\n`);
  process.stdout.write(figures.length ? `${formatTable(figures)}\n` : '(no figures)\n');
  process.stdout.write(
    '\nratio = value ÷ raw baseline measured in the same run (rates: higher is better; latencies: lower is better)\n',
  );
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  if (metricsRows.length) {
    process.stdout.write(
      `\nthe server's own /metrics, scraped after each stage:\n\n${formatMetricsTable(metricsRows)}\n`,
    );
  }
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), RESULTS_FILE)} (${seconds.toFixed(0)} s in all)\n`);
  if (problems.length) {
    process.stderr.write(`\n${problems.length} problem(s):\n${problems.map((p) => `- ${p}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
