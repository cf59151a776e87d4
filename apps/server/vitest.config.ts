import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "server",
    include: ["test/**/*.test.ts"],
    globalSetup: ["../../packages/api/test/support/global-setup.ts"],
    env: { TZ: "Asia/Kolkata" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
