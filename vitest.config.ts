import { defineConfig } from "vitest/config";

// One root run; each package is a named project with its own settings. Two
// workers: these machines have two cores, and the database tests are heavy.
export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    projects: ["packages/shared", "packages/api", "apps/server"],
  },
});
