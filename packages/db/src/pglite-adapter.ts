import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { mkdirSync } from "node:fs";

/**
 * pglite-prisma-adapter 0.6.1 does not await `exec` in `executeScript`, so a
 * failing migration is reported as applied and crashes later. This wrapper runs
 * scripts on PGlite directly and lets the error surface.
 */
function awaitScripts(adapter: SqlDriverAdapter, client: PGlite): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      if (prop === "executeScript") {
        return async (script: string) => {
          await client.exec(script);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? ((value as (...args: unknown[]) => unknown).bind(target) as unknown) : value;
    },
  });
}

export class PGliteAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "pglite-awaited";
  private readonly inner: PrismaPGlite;

  constructor(readonly client: PGlite) {
    this.inner = new PrismaPGlite(client);
  }

  async connect(): Promise<SqlDriverAdapter> {
    return awaitScripts(await this.inner.connect(), this.client);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return awaitScripts(await this.inner.connectToShadowDb(), this.client);
  }
}

/** Opens (creating if needed) a PGlite data folder; "memory" stays in memory. */
export async function openPGlite(dataDir: string): Promise<PGlite> {
  if (dataDir === "memory") return PGlite.create();
  mkdirSync(dataDir, { recursive: true });
  return PGlite.create(dataDir);
}
