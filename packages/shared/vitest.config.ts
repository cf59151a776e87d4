import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Explicit so the config also works when run directly with --config from the repository root.
  root: fileURLToPath(new URL(".", import.meta.url)),
  test: {
    name: "shared",
    include: ["test/**/*.test.ts"],
    // A zone with DST and a non-zero offset: code that leans on the host's zone fails loudly here.
    env: { TZ: "America/Los_Angeles" },
  },
});
