/**
 * The bench's peer: PostGraphile 5 over the `peer` schema of the bench's database, as a user would set it up
 * (the amber preset, the pg adaptor's defaults, grafserv on node:http), in a process of its own. The peer stage
 * starts it with NODE_ENV=production; PORT and HOST say where it listens, DATABASE_URL which database it reads.
 */
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PEER_SCHEMA } from './schema';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error('DATABASE_URL is required');
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString, schemas: [PEER_SCHEMA] })],
});
const serv = pgl.createServ(grafserv);
const server = createServer();

async function main() {
  await serv.addTo(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, resolve);
  });
  process.stdout.write(`peer listening on http://${host}:${port}/graphql\n`);
}

// The bench stops it with SIGTERM and expects exit code 0 once its connections and pool are closed.
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void Promise.resolve(pgl.release()).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`releasing PostGraphile failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});

main().catch((error: unknown) => {
  process.stderr.write(`the peer did not start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
