import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PGLITE_DIR } from "@wavelength/db";

/** The repository root; the CLI's embedded database lives under it whatever the working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * The database the CLI works on, as a createDb URL. Unset means the embedded PGlite of `npm start`
 * (./.data/pglite). A relative `pglite://` folder is resolved against the repository root too, so
 * `npm run admin` from a subfolder opens the same database as the server.
 */
export function cliDatabaseUrl(source: NodeJS.ProcessEnv = process.env): string {
  const url = source.DATABASE_URL?.trim() ?? "";
  if (url === "") return `pglite://${path.resolve(REPO_ROOT, DEFAULT_PGLITE_DIR)}`;
  if (url.startsWith("pglite://")) {
    const dir = url.slice("pglite://".length);
    if (dir === "memory") return url;
    if (dir === "") return `pglite://${path.resolve(REPO_ROOT, DEFAULT_PGLITE_DIR)}`;
    return `pglite://${path.resolve(REPO_ROOT, dir)}`;
  }
  return url;
}
