import { describe, expect, it } from "vitest";
import { loadEnv, providerConfig } from "../src/env.ts";

describe("chat settings from the environment", () => {
  it("defaults: a one-minute idle timeout, demo replies of their own length", () => {
    const env = loadEnv({});
    expect(env.CHAT_IDLE_TIMEOUT_MS).toBe(60_000);
    expect(providerConfig(env).demo).toEqual({ enabled: true, tokenDelayMs: 15, replyWords: 0 });
  });

  it("takes a long-reply mode and an idle timeout", () => {
    const env = loadEnv({ DEMO_REPLY_WORDS: "600", DEMO_TOKEN_DELAY_MS: "25", CHAT_IDLE_TIMEOUT_MS: "5000" });
    expect(env.CHAT_IDLE_TIMEOUT_MS).toBe(5_000);
    expect(providerConfig(env).demo).toEqual({ enabled: true, tokenDelayMs: 25, replyWords: 600 });
  });

  it("refuses values out of range, naming the variable", () => {
    expect(() => loadEnv({ CHAT_IDLE_TIMEOUT_MS: "10" })).toThrow(/CHAT_IDLE_TIMEOUT_MS/);
    expect(() => loadEnv({ DEMO_REPLY_WORDS: "-1" })).toThrow(/DEMO_REPLY_WORDS/);
  });
});
