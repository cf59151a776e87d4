import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { CatalogSafePool, poolConfigFromUrl } from "./catalog-pool.ts";

/**
 * The migration CLI's adapter for PostgreSQL. adapter-pg 6.19.3 runs a
 * migration script by splitting it on every ";", which breaks PL/pgSQL
 * function bodies; here the script goes to the server whole, as one simple
 * query (PostgreSQL runs it as one implicit transaction, so a failing
 * migration changes nothing).
 */
export class PgMigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "pg-migration";
  private readonly pool: CatalogSafePool;
  private readonly inner: PrismaPg;

  constructor(url: string) {
    this.pool = new CatalogSafePool(poolConfigFromUrl(url));
    this.inner = new PrismaPg(this.pool);
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.wholeScripts(await this.inner.connect());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.wholeScripts(await this.inner.connectToShadowDb());
  }

  private wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
    const pool = this.pool;
    return new Proxy(adapter, {
      get(target, prop, receiver) {
        if (prop === "executeScript") {
          return async (script: string) => {
            await (pool as pg.Pool).query(script);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === "function"
          ? ((value as (...args: unknown[]) => unknown).bind(target) as unknown)
          : value;
      },
    });
  }
}
