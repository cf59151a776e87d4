import { createHmac } from "node:crypto";
import type { FastifyRequest } from "fastify";

/**
 * The client's address: the socket peer, or the right-most untrusted entry of
 * X-Forwarded-For when the peer is a configured trusted proxy. Anything else
 * could be spoofed by the client.
 */
export function clientAddress(req: FastifyRequest, trustedProxies: readonly string[]): string {
  const peer = normalize(req.socket.remoteAddress ?? "unknown");
  if (!trustedProxies.includes(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const chain = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((s) => normalize(s.trim()))
    .filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = chain[i]!;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return peer;
}

/** The request came straight from a configured proxy, whose X-Forwarded-* headers may be believed. */
export function fromTrustedProxy(req: FastifyRequest, trustedProxies: readonly string[]): boolean {
  return trustedProxies.includes(normalize(req.socket.remoteAddress ?? "unknown"));
}

function normalize(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** A keyed hash: the address cap works without storing addresses. */
export function hashAddress(address: string, secret: string): string {
  return createHmac("sha256", secret).update(`ip:${address}`).digest("hex").slice(0, 32);
}
