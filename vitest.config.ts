import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 240_000,
    // Real servers (redis-server, slapd, Keycloak) are started once per run by the global setup.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
  },
});
