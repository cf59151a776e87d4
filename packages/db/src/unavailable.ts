/**
 * True when an error means "the database cannot be reached right now"
 * (server down or restarting, connection lost, pool exhausted) rather than a
 * bug: such requests get a 503 to retry, not a 500.
 */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const SQLSTATE_PREFIXES = ["08", "57P"];
const MESSAGES = [
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/,
  /Connection terminated/i,
  /terminating connection/i,
  /Unable to start a transaction/i,
  /Timed out fetching a new connection/i,
  /Can't reach database server/i,
  /the database system is (starting up|shutting down)/i,
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
  if (typeof e.code === "string") {
    if (PRISMA_CODES.has(e.code)) return true;
    if (SQLSTATE_PREFIXES.some((p) => (e.code as string).startsWith(p)) && /^[0-9A-Z]{5}$/.test(e.code)) return true;
    if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT)$/.test(e.code)) return true;
  }
  if (typeof e.message === "string" && MESSAGES.some((m) => m.test(e.message as string))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1);
}
