import { defineConfig } from "@playwright/test";

// E2E_PORT lets two runs share a machine (each gets its own server and database folder).
const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;

// Debian's Chromium, never Playwright's download (it cannot be fetched on these machines).
// --host-resolver-rules keeps Chromium from resolving Google's hosts dozens of times per run; no
// --disable-features of our own, since it would replace Playwright's list rather than extend it.
export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  // Per port, so two runs on one machine keep each other's artifacts.
  outputDir: `test-results/${PORT}`,
  use: {
    baseURL,
    headless: true,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
          ],
        },
      },
    },
  ],
  webServer: {
    command: "node scripts/start.mjs",
    url: `${baseURL}/api/health`,
    env: {
      PORT: String(PORT),
      HOST: "127.0.0.1",
      DATABASE_URL: `pglite://.data/e2e-${PORT}`,
      // The demo model types quickly in tests; the journey still sees text grow.
      DEMO_TOKEN_DELAY_MS: "2",
      // A stalled reply ("/demo … stall=N") is given up on after 3 s in the streaming spec.
      CHAT_IDLE_TIMEOUT_MS: "3000",
      E2E_FRESH: "1",
      SESSION_SECRET: "e2e-secret-at-least-32-characters-long",
      ADMIN_TOKEN: "e2e-admin-token-at-least-16",
      // Every spec signs up from 127.0.0.1; the allowance itself is tested in apps/server/test.
      SIGN_UP_PER_ADDRESS_PER_HOUR: "100",
      // The real proof of work (the SPA solves it in a worker) with less work than in production.
      PROOF_OF_WORK_COST: "10",
      PROOF_OF_WORK_MAX_COUNTER: "100",
    },
    reuseExistingServer: false,
    timeout: 120_000,
    stderr: "pipe",
  },
});
