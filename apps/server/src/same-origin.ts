import type { FastifyRequest } from "fastify";

/**
 * Mutations must come from our own pages (CSRF defence beside SameSite=Lax):
 * the Origin header, when present, must match the Host; without Origin,
 * Sec-Fetch-Site must not say cross-site. Non-browser clients send neither
 * and are allowed (they carry no ambient cookies of a victim).
 */
export function isSameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin !== undefined) {
    if (origin === "null") return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  const site = req.headers["sec-fetch-site"];
  return site === undefined || site === "same-origin" || site === "none";
}
