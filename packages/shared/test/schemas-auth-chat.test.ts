import { describe, expect, test } from "vitest";
import { chatMessagesInput, sendMessageInput, signInInput, signUpInput } from "../src/index.ts";
import { expectRefused, expectUnknownFieldRefused } from "./schema-helpers.ts";

describe("auth schemas", () => {
  test("sign-up normalises the e-mail and bounds the password", () => {
    expect(
      signUpInput.parse({
        email: " Ada@Example.COM ",
        password: "correct horse",
      }),
    ).toEqual({
      email: "ada@example.com",
      password: "correct horse",
    });
    expectRefused(signUpInput, { email: "not-an-email", password: "correct horse" }, "email");
    expectRefused(signUpInput, { email: "a@b.co", password: "short" }, "password", "at least 8");
    expectRefused(signUpInput, { email: "a@b.co", password: "p".repeat(129) }, "password");
    expectUnknownFieldRefused(signUpInput, { email: "a@b.co", password: "correct horse", role: "admin" }, "", "role");
  });

  test("sign-in checks presence only", () => {
    expect(signInInput.safeParse({ email: "a@b.co", password: "x" }).success).toBe(true);
    expectRefused(signInInput, { email: "a@b.co", password: "" }, "password");
  });
});

describe("chat schemas", () => {
  const valid = { provider: "local-demo", model: "echo", content: "Hello" };

  test("sendMessageInput", () => {
    expect(sendMessageInput.parse({ ...valid, content: "  Hello  " }).content).toBe("Hello");
    expectRefused(sendMessageInput, { ...valid, content: "   " }, "content");
    expectRefused(sendMessageInput, { ...valid, content: "x".repeat(32_001) }, "content");
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 128_001]) {
      expectRefused(sendMessageInput, { ...valid, maxOutputTokens: bad }, "maxOutputTokens");
    }
    expectUnknownFieldRefused(sendMessageInput, { ...valid, costMicros: 0 }, "", "costMicros");
  });

  test("chatMessagesInput pages with a default size", () => {
    expect(chatMessagesInput.parse({ conversationId: "c_1" })).toEqual({
      conversationId: "c_1",
      limit: 50,
    });
    expectRefused(chatMessagesInput, { conversationId: "c_1", limit: 201 }, "limit");
  });
});
