import { defineConfig } from 'prisma/config';

// `env()` from prisma/config throws when the variable is unset; the app itself defaults to an embedded
// PostgreSQL, so only the CLI commands that need a server (migrate deploy/status elsewhere) read this.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/orderstream' },
});
