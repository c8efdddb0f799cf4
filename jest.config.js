/**
 * Two projects: `unit` (pure code, *.spec.ts, no I/O) and `integration` (*.int-spec.ts,
 * against the real local Kafka, schema registry and PostgreSQL started by `npm run stack:up`).
 */
const moduleNameMapper = {
  '^@consent-ledger/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@consent-ledger/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = { rootDir: __dirname, testEnvironment: 'node', moduleNameMapper, transform };

module.exports = {
  // Integration tests wait for real services with their own deadlines; this is the outer bound.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
    },
  ],
};
