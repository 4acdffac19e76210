/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // One file at a time. The log readers' horizon (pg_snapshot_xmin) is cluster-wide, so a write transaction that
  // one file holds open on the shared test PostgreSQL would delay what another file's readers see and make its
  // read-after-write assertions race. Files still exercise concurrency inside themselves.
  maxWorkers: 1,
  testTimeout: 60_000,
};
