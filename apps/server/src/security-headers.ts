import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import fastifyHelmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/**
 * The hashes ('sha256-…') of the inline scripts in the built SPA's index.html
 * (the theme is set before first paint), so the policy allows exactly those
 * and no other inline script. Read once at start-up from the file served.
 */
export function inlineScriptHashes(webDist: string | undefined): string[] {
  const index = webDist ? path.join(webDist, "index.html") : null;
  if (!index || !existsSync(index)) return [];
  const html = readFileSync(index, "utf8");
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1]!).digest("base64")}'`,
  );
}

/**
 * Security headers on every response, API, SPA, export and errors alike
 * (@fastify/helmet, registered before any route or hook that answers).
 * The policy: everything from our own origin only; scripts also by hash for
 * the inline theme script; no plugins, no <base>, forms only to us, and no
 * framing at all (frame-ancestors 'none' and X-Frame-Options: DENY).
 * Inline styles stay allowed: the toast library injects its stylesheet as a
 * <style> element at run time, and React sets style props through CSSOM.
 * No upgrade-insecure-requests: a self-hosted instance may be served over
 * plain HTTP on a local network. No Referer leaves the app (no-referrer).
 */
export async function registerSecurityHeaders(app: FastifyInstance, webDist: string | undefined): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...inlineScriptHashes(webDist)],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // Cross-origin isolation headers stay at helmet's defaults (same-origin opener and resources).
  });
}
