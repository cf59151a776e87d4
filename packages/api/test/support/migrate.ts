import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Applies the committed migrations with the real CLI (`prisma migrate deploy`). */
export async function migrateDeploy(databaseUrl: string): Promise<void> {
  await promisify(execFile)(path.join(REPO_ROOT, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: "1" },
  });
}
