import { randomUUID } from "node:crypto";
import type { Identity } from "./identity.ts";
import type { Services } from "./services.ts";

/** What the HTTP layer knows about the request beyond the identity. */
export interface RequestInfo {
  /** The anonymous cookie's visitor, if any (also present for a signed-in user who was a guest). */
  anonymousId: string | null;
  ipHash: string | null;
  /** The session cookie's id, when signed in. */
  sessionId: string | null;
  /** The device cookie's value, if the browser sent one (sign-in throttling; see auth/device-cookie.ts). */
  deviceCookie: string | null;
}

/** A cookie for the response, as the auth module describes it. */
export interface OutgoingCookie {
  name: string;
  value: string;
  attributes: {
    maxAge?: number;
    expires?: Date;
    path?: string;
    httpOnly?: boolean;
    sameSite?: "lax" | "strict" | "none";
    secure?: boolean;
  };
}

export interface CookieSink {
  set(cookie: OutgoingCookie): void;
}

export interface Context {
  services: Services;
  identity: Identity;
  /** Admin by role, or by the operator's bearer token. */
  isAdmin: boolean;
  /**
   * A trusted service (the operator's bearer token; scoped API keys later), which may report usage
   * for a named subject. Never a browser session, not even an admin's.
   */
  isService: boolean;
  requestId: string;
  request: RequestInfo;
  /** Where procedures put cookies (sign-in, sign-out); the server writes them to the response. */
  cookies: CookieSink;
}

/** A context without HTTP: what tests pass to `createCaller`. */
export function createInnerContext(input: {
  services: Services;
  identity: Identity;
  isAdmin?: boolean;
  isService?: boolean;
  requestId?: string;
  request?: Partial<RequestInfo>;
  cookies?: CookieSink;
}): Context {
  const id = input.identity;
  return {
    services: input.services,
    identity: id,
    isAdmin: input.isAdmin === true || input.isService === true || (id.kind === "user" && id.role === "admin"),
    isService: input.isService === true,
    requestId: input.requestId ?? randomUUID(),
    request: {
      anonymousId: input.request?.anonymousId ?? (id.kind === "anonymous" ? id.anonymousId : null),
      ipHash: input.request?.ipHash ?? (id.kind === "anonymous" ? id.ipHash : null),
      sessionId: input.request?.sessionId ?? null,
      deviceCookie: input.request?.deviceCookie ?? null,
    },
    cookies: input.cookies ?? { set() {} },
  };
}
