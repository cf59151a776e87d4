import { randomUUID } from "node:crypto";
import { isValidTimeZone } from "@wavelength/shared";
import type { Identity } from "./identity.ts";
import type { Services } from "./services.ts";

export interface Context {
  services: Services;
  identity: Identity;
  /** Admin by role, or by the operator's bearer token. */
  isAdmin: boolean;
  requestId: string;
}

/** A context without HTTP: what tests pass to `createCaller`. */
export function createInnerContext(input: {
  services: Services;
  identity: Identity;
  isAdmin?: boolean;
  requestId?: string;
}): Context {
  return {
    services: input.services,
    identity: input.identity,
    isAdmin: input.isAdmin ?? (input.identity.kind === "user" && input.identity.role === "admin"),
    requestId: input.requestId ?? randomUUID(),
  };
}

export interface AnonymousRequest {
  anonymousId: string;
  /** Keyed hash of the client address (never the address itself). */
  ipHash: string | null;
  /** The browser's zone (x-time-zone header); used when the visitor is first seen. */
  timeZone: string | null;
}

/**
 * The anonymous visitor behind a signed cookie: the AnonymousSession row is
 * created on first sight with the browser's zone (UTC when absent or invalid).
 */
export async function resolveAnonymous(services: Services, req: AnonymousRequest): Promise<Identity> {
  const timeZone = req.timeZone && isValidTimeZone(req.timeZone) ? req.timeZone : "UTC";
  const row = await services.db.anonymousSession.upsert({
    where: { anonymousId: req.anonymousId },
    create: { anonymousId: req.anonymousId, timezone: timeZone, ipHash: req.ipHash },
    update: { lastSeenAt: services.clock.now() },
    select: { timezone: true },
  });
  return { kind: "anonymous", anonymousId: req.anonymousId, ipHash: req.ipHash, timeZone: row.timezone };
}
