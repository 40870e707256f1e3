// Two projects: `unit` (everything under test/ that starts no prox process: core, config,
// adapters, architecture, …; `npm run test:unit`) and `integration` (test/integration, which
// runs the built dist/ as child processes; `npm run test:integration`). `npm test` runs both.
// ts-jest only transpiles (tsconfig.json has isolatedModules), so `npm run typecheck` is what
// type-checks the tests.
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
    },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
    },
  ],
};
