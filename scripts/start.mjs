#!/usr/bin/env node
// `npm start` after the build: apply migrations, seed an empty database, serve.
// Each step is a child process so the embedded PGlite folder is opened by one
// process at a time (it cannot be shared).
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules/.bin", name);
const env = { ...process.env, CHECKPOINT_DISABLE: "1" };

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} ${args.join(" ")} failed (${signal ?? code})`)),
    );
  });
}

// Tests start from an empty embedded database.
const url = process.env.DATABASE_URL ?? "";
if (process.env.E2E_FRESH === "1" && url.startsWith("pglite://")) {
  rmSync(path.resolve(root, url.slice("pglite://".length)), { recursive: true, force: true });
}

try {
  await run(bin("prisma"), ["migrate", "deploy"]);
  await run(bin("tsx"), ["prisma/seed.ts"]);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

// --watch (npm run dev): restart the server when its sources change.
const serverArgs = process.argv.includes("--watch")
  ? [path.join(root, "node_modules/tsx/dist/cli.mjs"), "watch", "apps/server/src/main.ts"]
  : ["--import", "tsx", "apps/server/src/main.ts"];
const server = spawn(process.execPath, serverArgs, {
  cwd: root,
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
