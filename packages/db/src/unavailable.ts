import type { PrismaClient } from "./generated/prisma/client.ts";

/**
 * True when an error means "the database cannot be reached right now"
 * (server down or restarting, connection lost, pool exhausted) rather than a
 * bug: such requests get a 503 to retry, not a 500.
 *
 * The shapes below were seen while PostgreSQL stopped and started under load
 * (apps/server/reliability/database-outage.test.ts): Prisma's codes, SQLSTATEs
 * 57P01 "terminating connection due to administrator command" and 57P03 "the
 * database system is shutting down / starting up", node-postgres's own
 * messages for a client whose socket died (they carry no code), and
 * ECONNREFUSED while the server is away.
 */
const PRISMA_CODES = new Set([
  "P1001", // can't reach database server
  "P1002", // server reached but timed out
  "P1008", // operations timed out
  "P1017", // server has closed the connection
  "P2024", // timed out fetching a connection from the pool
  "P2037", // too many database connections opened
]);
/** Connection exceptions (08), operator intervention (57P: shutdown, crash, starting up), too many connections. */
const SQLSTATE_PREFIXES = ["08", "57P", "53300"];
/** Driver adapter error kinds (@prisma/driver-adapter-utils) that mean the server is out of reach. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const MESSAGES = [
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/,
  /Connection terminated/i,
  /terminating connection/i,
  /Unable to start a transaction/i,
  /Timed out fetching a new connection/i,
  /Can't reach database server/i,
  /Server has closed the connection/i,
  /the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/i,
  /too many clients already/i,
  // node-postgres: a pooled client whose socket failed, and a pool that could not connect in time.
  /Client has encountered a connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  // Our own shutdown: the pool is closed while a late request still runs.
  /Cannot use a pool after calling end on the pool/i,
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof e.code === "string") {
    if (PRISMA_CODES.has(e.code)) return true;
    if (SQLSTATE_PREFIXES.some((p) => (e.code as string).startsWith(p)) && /^[0-9A-Z]{5}$/.test(e.code)) return true;
    if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT)$/.test(e.code)) return true;
  }
  if (typeof e.kind === "string" && ADAPTER_KINDS.has(e.kind)) return true;
  if (typeof e.message === "string" && MESSAGES.some((m) => m.test(e.message as string))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1);
}

/**
 * Whether the database answers a trivial query within `timeoutMs`. For an
 * error that `isDatabaseUnavailable` does not recognise: if the database does
 * not answer either, the error is the outage's (a 503), not a bug (a 500).
 */
export async function databaseAnswers(db: Pick<PrismaClient, "$queryRawUnsafe">, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const probe = db.$queryRawUnsafe("SELECT 1").then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
