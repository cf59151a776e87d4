import { MAX_TOKENS_PER_REQUEST } from "@wavelength/shared";
import { z } from "zod";
import type { ChatMessage } from "../providers/index.ts";
import { badRequest, type OpenAIError } from "./errors.ts";

/** Messages one request may carry; the 1 MB body limit bounds their text. */
const MAX_MESSAGES = 2_048;

const textPart = z.object({
  type: z.literal("text", { message: "Only text content parts are supported" }),
  text: z.string(),
});

const content = z.union([z.string(), z.array(textPart).min(1)], {
  message: "Expected a string or an array of text parts",
});

const message = z.discriminatedUnion(
  "role",
  [
    z.object({ role: z.literal("system"), content, name: z.string().optional() }),
    // OpenAI's newer name for system instructions to reasoning models.
    z.object({ role: z.literal("developer"), content, name: z.string().optional() }),
    z.object({ role: z.literal("user"), content, name: z.string().optional() }),
    z.object({
      role: z.literal("assistant"),
      content,
      name: z.string().optional(),
      tool_calls: z.undefined({ message: "Tool calls are not supported" }).optional(),
    }),
  ],
  { message: "role must be one of system, developer, user, assistant (tools are not supported)" },
);

/** The Chat Completions request as we serve it. Fields we do not know are ignored, as OpenAI's SDKs add new ones. */
export const chatCompletionRequest = z.object({
  model: z.string({ message: "model is required" }).trim().min(1, { message: "model is required" }).max(256),
  messages: z
    .array(message, { message: "messages must be an array" })
    .min(1, { message: "messages must hold at least one message" })
    .max(MAX_MESSAGES),
  max_tokens: z.int().min(1).max(MAX_TOKENS_PER_REQUEST).nullish(),
  max_completion_tokens: z.int().min(1).max(MAX_TOKENS_PER_REQUEST).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  /** The caller's end user, for its own records; accepted and not stored. */
  user: z.string().max(512).optional(),
  // Accepted when they ask for nothing we do not do.
  n: z.literal(1, { message: "Only n = 1 is supported" }).nullish(),
  tools: z.array(z.unknown()).max(0, { message: "Tools are not supported" }).nullish(),
  functions: z.array(z.unknown()).max(0, { message: "Functions are not supported" }).nullish(),
  tool_choice: z.literal("none", { message: "Tools are not supported" }).nullish(),
  logprobs: z.literal(false, { message: "logprobs are not supported" }).nullish(),
  response_format: z
    .object({ type: z.literal("text", { message: "Only the text response format is supported" }) })
    .nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

/** OpenAI's spelling of a field path: messages[0].content. */
function paramOf(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out === "" ? "" : "."}${String(p)}`;
  return out === "" ? null : out;
}

export function parseChatRequest(
  body: unknown,
): { ok: true; value: ChatCompletionRequest } | { ok: false; error: OpenAIError } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, error: badRequest("The body must be a JSON object.", null, "invalid_body") };
  }
  const parsed = chatCompletionRequest.safeParse(body);
  if (parsed.success) {
    const v = parsed.data;
    if (v.max_tokens != null && v.max_completion_tokens != null && v.max_tokens !== v.max_completion_tokens) {
      return {
        ok: false,
        error: badRequest(
          "Send max_tokens or max_completion_tokens, not two different values.",
          "max_completion_tokens",
        ),
      };
    }
    return { ok: true, value: v };
  }
  const issue = parsed.error.issues[0]!;
  const param = paramOf(issue.path);
  return { ok: false, error: badRequest(param ? `${param}: ${issue.message}` : issue.message, param) };
}

/** The output budget the caller asked for, if any (max_completion_tokens is the newer name). */
export function requestedMaxTokens(r: ChatCompletionRequest): number | null {
  return r.max_completion_tokens ?? r.max_tokens ?? null;
}

/** The conversation as the provider registry takes it: developer instructions are system messages. */
export function toChatMessages(r: ChatCompletionRequest): ChatMessage[] {
  return r.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
  }));
}
