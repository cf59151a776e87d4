import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { isSameOrigin, serializedOrigin } from "../src/same-origin.ts";

/** The parts of a request the check reads: headers and the socket (peer, TLS). */
function request(headers: Record<string, string>, socket: { remoteAddress?: string; encrypted?: boolean } = {}) {
  return { headers, socket: { remoteAddress: "198.51.100.7", ...socket } } as unknown as FastifyRequest;
}
const direct = { trustedProxies: [], httpsOnly: false };

describe("same-origin check", () => {
  it("compares scheme, host and port exactly", () => {
    const at = (origin: string, socket = {}) =>
      isSameOrigin(request({ host: "chat.example:8080", origin }, socket), direct);
    expect(at("http://chat.example:8080")).toBe(true);
    expect(at("http://CHAT.example:8080")).toBe(true); // hosts are case-insensitive
    expect(at("https://chat.example:8080")).toBe(false);
    expect(at("http://chat.example:8081")).toBe(false);
    expect(at("http://chat.example")).toBe(false);
    expect(at("https://chat.example:8080", { encrypted: true })).toBe(true);
    expect(at("http://chat.example:8080", { encrypted: true })).toBe(false);
  });

  it("treats a default port and its absence alike, as browsers serialize origins", () => {
    expect(isSameOrigin(request({ host: "chat.example:80", origin: "http://chat.example" }), direct)).toBe(true);
    expect(isSameOrigin(request({ host: "chat.example", origin: "http://chat.example:80" }), direct)).toBe(true);
  });

  it("refuses userinfo, paths, other schemes and 'null'", () => {
    for (const origin of [
      "http://evil@chat.example",
      "http://chat.example@evil.example",
      "http://chat.example/",
      "http://chat.example?x",
      "ftp://chat.example",
      "null",
      "",
      "chat.example",
    ]) {
      expect({ origin, ok: isSameOrigin(request({ host: "chat.example", origin }), direct) }).toEqual({
        origin,
        ok: false,
      });
    }
    expect(serializedOrigin("http://evil@chat.example")).toBeNull();
  });

  it("believes X-Forwarded-Proto and -Host only from a trusted proxy", () => {
    const proxied = { trustedProxies: ["10.0.0.1"], httpsOnly: false };
    const headers = {
      host: "127.0.0.1:3000",
      origin: "https://chat.example",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "chat.example",
    };
    expect(isSameOrigin(request(headers, { remoteAddress: "10.0.0.1" }), proxied)).toBe(true);
    expect(isSameOrigin(request(headers, { remoteAddress: "10.0.0.2" }), proxied)).toBe(false);
  });

  it("expects https when cookies are always Secure (TLS ends at a proxy)", () => {
    const tls = { trustedProxies: [], httpsOnly: true };
    expect(isSameOrigin(request({ host: "chat.example", origin: "https://chat.example" }), tls)).toBe(true);
    expect(isSameOrigin(request({ host: "chat.example", origin: "http://chat.example" }), tls)).toBe(false);
  });

  it("without Origin, refuses only what Fetch Metadata calls cross-site", () => {
    expect(isSameOrigin(request({ host: "chat.example" }), direct)).toBe(true);
    expect(isSameOrigin(request({ host: "chat.example", "sec-fetch-site": "same-origin" }), direct)).toBe(true);
    expect(isSameOrigin(request({ host: "chat.example", "sec-fetch-site": "cross-site" }), direct)).toBe(false);
    expect(isSameOrigin(request({ host: "chat.example", "sec-fetch-site": "same-site" }), direct)).toBe(false);
  });
});
