/**
 * Three tiers, one Jest project each: `npm test` runs them all; `npm run test:unit`, `test:integration` and
 * `test:e2e` (or `npx jest --selectProjects <name>`, or a path) run one.
 *
 * A tier starts no more machinery than it needs. The embedded PostgreSQL is the integration and e2e projects'
 * globalSetup, not the run's: Jest (30) runs the globalSetup of each project that has a test in the run, once per
 * module (`runGlobalHook` in @jest/core), so a run that selects only unit tests never starts or reaches a database,
 * and a run of both database tiers starts one server for the two.
 */

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 60_000,
};

const database = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    { ...shared, ...database, displayName: 'integration', roots: ['<rootDir>/test/integration'] },
    { ...shared, ...database, displayName: 'e2e', roots: ['<rootDir>/test/e2e'] },
  ],
  // One file at a time. The log readers' horizon (pg_snapshot_xmin) is cluster-wide, so a write transaction that
  // one file holds open on the shared test PostgreSQL would delay what another file's readers see and make its
  // read-after-write assertions race. Files still exercise concurrency inside themselves. (Workers are per run,
  // not per project: `npm run test:unit`, which touches no database, asks for more on its command line.)
  maxWorkers: 1,
  testTimeout: 60_000,
};
