import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

export const ANON_COOKIE = "wl_anon";
const ONE_YEAR_S = 365 * 86_400;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The visitor id from a valid signed cookie, without issuing one. */
export function existingAnonymousId(req: FastifyRequest): string | null {
  const raw = req.cookies[ANON_COOKIE];
  if (!raw) return null;
  const unsigned = req.unsignCookie(raw);
  return unsigned.valid && unsigned.value && UUID.test(unsigned.value) ? unsigned.value : null;
}

/**
 * A new visitor id in a signed HttpOnly cookie, for a request without a valid
 * one (missing, tampered or malformed). Issuing it writes nothing to the
 * database; the address cap keeps fresh ids from renewing the allowance.
 */
export function issueAnonymousId(reply: FastifyReply, secure: boolean): string {
  const id = randomUUID();
  reply.setCookie(ANON_COOKIE, id, {
    signed: true,
    httpOnly: true,
    sameSite: "lax",
    secure,
    path: "/",
    maxAge: ONE_YEAR_S,
  });
  return id;
}
