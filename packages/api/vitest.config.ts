import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "api",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // A zone east of UTC with DST, so time-zone bugs fail loudly.
    env: { TZ: "Europe/Berlin" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
