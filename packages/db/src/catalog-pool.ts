import pg from "pg";

/**
 * @prisma/adapter-pg 6.19.3 cannot deserialize PostgreSQL's internal `name`
 * (OID 19) and `char` (OID 18) columns, which the JS schema engine's catalog
 * queries return. Only the migration CLI needs this: results are relabelled as
 * text (OID 25). adapter-pg checks `instanceof pg.Pool`, so this extends the
 * same `pg` copy.
 */
const INTERNAL_TEXT_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function relabel<T>(result: T): T {
  const fields = (result as QueryResultLike | undefined)?.fields;
  if (fields) for (const f of fields) if (INTERNAL_TEXT_OIDS.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
  return result;
}

function patchClient(client: pg.PoolClient): pg.PoolClient {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const out = query(...args);
    return out instanceof Promise ? out.then(relabel) : out;
  };
  return client;
}

export class CatalogSafePool extends pg.Pool {
  override query(...args: unknown[]): never {
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    return (out instanceof Promise ? out.then(relabel) : out) as never;
  }

  override connect(...args: unknown[]): never {
    if (args.length > 0) return (super.connect as (...a: unknown[]) => unknown)(...args) as never;
    return super.connect().then(patchClient) as never;
  }
}

/** pg.Pool options from a URL, as fields (the subclass does not parse URLs the same way). */
export function poolConfigFromUrl(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: u.pathname.replace(/^\//, "") || undefined,
  };
}
