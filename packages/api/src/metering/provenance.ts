/**
 * Who opened a ledger event, and so who may settle or release it. The origin is the namespace of
 * the event's idempotency key, fixed when the event is written and never changed:
 *
 * - `task:<taskId>`: a chat reply run by the server. Only the chat runner settles or releases it,
 *   from the provider's stream; no procedure takes such a key from outside.
 * - `svc:<key>`: a reservation or usage report of a trusted service (usage.reserve/release/sync,
 *   operator token). The caller's key is always put under this prefix, so a service call can only
 *   ever reach events that service calls opened.
 * - `api:<apiKeyId>:<requestId>`: a request to the OpenAI-compatible endpoint with a personal API
 *   key. Only that endpoint's handler settles or releases it, from the provider's stream; the key
 *   it names is how usage is broken down by key. No procedure takes such a key from outside.
 */
export type LedgerOrigin = "chat" | "service" | "api";

const PREFIX: Record<LedgerOrigin, string> = { chat: "task:", service: "svc:", api: "api:" };

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

/** The ledger key of a request to the OpenAI-compatible endpoint: it records the API key. */
export function apiLedgerKey(apiKeyId: string, requestId: string): string {
  return ledgerKey("api", `${apiKeyId}:${requestId}`);
}

/** The API key that opened an `api:` event; null for events of any other origin. */
export function apiKeyIdOf(key: string): string | null {
  if (originOf(key) !== "api") return null;
  const rest = callerKey("api", key);
  const colon = rest.indexOf(":");
  return colon > 0 ? rest.slice(0, colon) : null;
}
