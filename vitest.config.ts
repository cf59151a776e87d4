import { defineConfig } from "vitest/config";

// One root run; each package is a named project with its own settings.
export default defineConfig({
  test: {
    projects: ["packages/shared", "packages/api"],
  },
});
