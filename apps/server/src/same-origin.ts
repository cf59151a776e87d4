import type { FastifyRequest } from "fastify";
import { fromTrustedProxy } from "./client-address.ts";

export interface OriginPolicy {
  trustedProxies: readonly string[];
  /** COOKIE_SECURE=always: browsers reach the site over HTTPS, whatever the socket says (TLS ends at a proxy). */
  httpsOnly: boolean;
}

/**
 * Mutations must come from our own pages (CSRF defence beside SameSite=Lax):
 * the Origin header, when present, must be exactly our origin (scheme, host
 * and port); without Origin, Sec-Fetch-Site must not say cross-site.
 * Non-browser clients send neither and are allowed (they carry no ambient
 * cookies of a victim).
 */
export function isSameOrigin(req: FastifyRequest, policy: OriginPolicy): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const ours = ownOrigin(req, policy);
    return ours !== null && serializedOrigin(origin) === ours;
  }
  const site = req.headers["sec-fetch-site"];
  return site === undefined || site === "same-origin" || site === "none";
}

/**
 * `scheme://host[:port]` as browsers send it in Origin, normalised (lower
 * case, default port dropped), or null for anything else: "null", a path, a
 * query, userinfo (`http://evil@host`), other schemes.
 */
export function serializedOrigin(value: string): string | null {
  if (!/^https?:\/\/[^/?#@\\\s]+$/i.test(value)) return null;
  try {
    const url = new URL(value);
    return url.username === "" && url.password === "" ? url.origin : null;
  } catch {
    return null;
  }
}

/** The origin this request was addressed to: its scheme and its Host (or a trusted proxy's X-Forwarded-*). */
function ownOrigin(req: FastifyRequest, policy: OriginPolicy): string | null {
  const proxied = fromTrustedProxy(req, policy.trustedProxies);
  const forwardedProto = proxied ? firstValue(req.headers["x-forwarded-proto"]) : undefined;
  const forwardedHost = proxied ? firstValue(req.headers["x-forwarded-host"]) : undefined;
  const scheme = policy.httpsOnly ? "https" : (forwardedProto ?? (isEncrypted(req) ? "https" : "http"));
  const host = forwardedHost ?? req.headers.host;
  if (!host || (scheme !== "http" && scheme !== "https")) return null;
  return serializedOrigin(`${scheme}://${host}`);
}

function isEncrypted(req: FastifyRequest): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(",")[0]?.trim().toLowerCase();
  return first ? first : undefined;
}
