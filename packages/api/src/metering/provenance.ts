/**
 * Who opened a ledger event, and so who may settle or release it. The origin is the namespace of
 * the event's idempotency key, fixed when the event is written and never changed:
 *
 * - `task:<taskId>`: a chat reply run by the server. Only the chat runner settles or releases it,
 *   from the provider's stream; no procedure takes such a key from outside.
 * - `svc:<key>`: a reservation or usage report of a trusted service (usage.reserve/release/sync,
 *   operator token). The caller's key is always put under this prefix, so a service call can only
 *   ever reach events that service calls opened.
 */
export type LedgerOrigin = "chat" | "service";

const PREFIX: Record<LedgerOrigin, string> = { chat: "task:", service: "svc:" };

/** The ledger key of an event of `origin`, from the key its opener chose. */
export function ledgerKey(origin: LedgerOrigin, key: string): string {
  return PREFIX[origin] + key;
}

/** The opener's own key (as it sent it), from a ledger key of `origin`. */
export function callerKey(origin: LedgerOrigin, key: string): string {
  const prefix = PREFIX[origin];
  if (!key.startsWith(prefix)) throw new Error(`ledger key ${key} is not of origin ${origin}`);
  return key.slice(prefix.length);
}

/** The origin of a stored key; null for keys written before provenance existed. */
export function originOf(key: string): LedgerOrigin | null {
  for (const origin of Object.keys(PREFIX) as LedgerOrigin[]) {
    if (key.startsWith(PREFIX[origin])) return origin;
  }
  return null;
}
