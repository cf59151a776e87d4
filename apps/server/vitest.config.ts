import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "server",
    include: ["test/**/*.test.ts"],
    globalSetup: ["../../packages/api/test/support/global-setup.ts"],
    env: { TZ: "Asia/Kolkata" },
    // Bounds for hangs, not speed: a loaded 2-core CI machine must not turn a slow pass into a failure.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
