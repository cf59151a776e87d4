import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "api",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // A zone east of UTC with DST, so time-zone bugs fail loudly.
    env: { TZ: "Europe/Berlin" },
    // Bounds for hangs, not speed: a loaded 2-core CI machine must not turn a slow pass into a failure.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
