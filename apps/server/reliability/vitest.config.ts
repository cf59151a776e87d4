import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run test:reliability`: the whole reliability suite of issue 6 in one command.
// - processes: real server processes on a real PostgreSQL, under load, kill -9 and a database
//   outage, and security over real HTTP (this folder);
// - fuzzing: property tests over every tRPC input and HTTP route, window maths and engine
//   invariants (packages/api/test/fuzz, apps/server/test/fuzz);
// - security: origin checks, cookie flags, sign-in throttling, isolation across every procedure,
//   the address cap across cookie rotation, X-Forwarded-For from untrusted peers, and issue 10's
//   hardening (unknown methods, bounded bodies, security headers, no rows for reads, 503s).
// The fuzzing and security files also run in `npm test`; here they run again beside the process
// tests so that this one command shows every guarantee. Not a project of the root config.
const here = path.dirname(fileURLToPath(import.meta.url));
const server = path.resolve(here, "..");
const api = path.resolve(here, "../../../packages/api");
const globalSetup = [path.resolve(api, "test/support/global-setup.ts")];

// The suite always needs PostgreSQL; CI points TEST_DATABASE_URL at its own database, a developer
// machine uses the local server. Set here so the shared global setup builds the migrated template.
process.env.TEST_DATABASE_URL ??= "postgresql://root@127.0.0.1:5432/test";

export default defineConfig({
  test: {
    // One file at a time, across projects too: the process tests saturate two cores, and the outage
    // test stops PostgreSQL itself, which nothing else may be using at that moment.
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    projects: [
      {
        test: {
          name: "reliability:processes",
          root: here,
          include: ["**/*.test.ts"],
          globalSetup,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "reliability:api",
          root: api,
          include: ["test/fuzz/**/*.test.ts", "test/routers/isolation.test.ts", "test/auth/throttle.test.ts"],
          globalSetup,
          // As in the api project: a zone east of UTC with DST.
          env: { TZ: "Europe/Berlin" },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "reliability:http",
          root: server,
          include: [
            "test/fuzz/**/*.test.ts",
            "test/http.test.ts",
            "test/auth-http.test.ts",
            "test/anonymous-cap.test.ts",
            "test/hardening.test.ts",
            "test/same-origin.test.ts",
            "test/request-input.test.ts",
          ],
          globalSetup,
          // As in the server project: a zone with a half-hour offset.
          env: { TZ: "Asia/Kolkata" },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
