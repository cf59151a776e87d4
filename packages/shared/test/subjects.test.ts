import { expect, test } from "vitest";
import { anonSubject, apiKeySubject, ipSubject, parseSubject, userSubject } from "../src/index.ts";

test("subjects round-trip and refuse junk", () => {
  expect(userSubject("u_123")).toBe("user:u_123");
  expect(anonSubject("a-1")).toBe("anon:a-1");
  expect(ipSubject("abc123")).toBe("ip:abc123");
  expect(parseSubject("user:u_123")).toEqual({ kind: "user", id: "u_123" });
  expect(parseSubject("ip:abc123")).toEqual({ kind: "ip", id: "abc123" });
  expect(apiKeySubject("k-1")).toBe("key:k-1");
  expect(parseSubject("key:k-1")).toEqual({ kind: "key", id: "k-1" });
  expect(parseSubject("admin:1")).toBeNull();
  expect(parseSubject("user:")).toBeNull();
  expect(parseSubject("user:a:b")).toBeNull();
});
