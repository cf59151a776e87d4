import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run test:reliability`: real server processes on a real PostgreSQL, under load, kill -9 and a
// database outage. Not a project of the root config, so `npm test` stays fast.
const here = path.dirname(fileURLToPath(import.meta.url));

// The suite always needs PostgreSQL; CI points TEST_DATABASE_URL at its own database, a developer
// machine uses the local server. Set here so the shared global setup builds the migrated template.
process.env.TEST_DATABASE_URL ??= "postgresql://root@127.0.0.1:5432/test";

export default defineConfig({
  test: {
    name: "reliability",
    root: here,
    include: ["**/*.test.ts"],
    globalSetup: [path.resolve(here, "../../../packages/api/test/support/global-setup.ts")],
    // One file at a time: they saturate two cores, and the outage test stops PostgreSQL itself.
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
