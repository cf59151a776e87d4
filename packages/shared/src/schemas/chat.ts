// Inputs of the chat router. Sending a message consumes quota, so it is a mutation whose
// idempotency key lets a retried send reuse the first task instead of paying twice.

import { z } from "zod";
import { idempotencyKeySchema, modelSchema, providerSchema, storableText } from "./primitives.ts";

export const MAX_MESSAGE_CHARS = 32_000;

const entityIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { message: "Invalid id" });

export const sendMessageInput = z.strictObject({
  conversationId: entityIdSchema.optional(),
  provider: providerSchema,
  model: modelSchema,
  content: storableText(1, MAX_MESSAGE_CHARS),
  maxOutputTokens: z.int().min(1).max(128_000).optional(),
  idempotencyKey: idempotencyKeySchema.optional(),
});
export type SendMessageInput = z.infer<typeof sendMessageInput>;

/** Longest reply text a cursor can point into (far beyond any model's output). */
export const MAX_REPLY_CURSOR = 50_000_000;

/**
 * A poll of a running reply: `cursor` is where the caller's copy of the text ends (an offset
 * returned by the previous poll; 0 or absent for all of it). `direction` is what tRPC's infinite
 * queries add to every page request; it is accepted and ignored.
 */
export const chatTaskInput = z.strictObject({
  taskId: entityIdSchema,
  cursor: z.int().min(0).max(MAX_REPLY_CURSOR).nullish(),
  direction: z.enum(["forward", "backward"]).optional(),
});
export type ChatTaskInput = z.infer<typeof chatTaskInput>;

/** The conversation whose running reply (if any) a page picks up when opened. */
export const chatRunningReplyInput = z.strictObject({ conversationId: entityIdSchema });
export type ChatRunningReplyInput = z.infer<typeof chatRunningReplyInput>;

export const chatCancelInput = z.strictObject({ taskId: entityIdSchema });
export type ChatCancelInput = z.infer<typeof chatCancelInput>;

export const chatRenameInput = z.strictObject({
  conversationId: entityIdSchema,
  title: storableText(1, 120),
});
export type ChatRenameInput = z.infer<typeof chatRenameInput>;

export const chatDeleteInput = z.strictObject({ conversationId: entityIdSchema });
export type ChatDeleteInput = z.infer<typeof chatDeleteInput>;

export const chatMessagesInput = z.strictObject({
  conversationId: entityIdSchema,
  cursor: entityIdSchema.optional(),
  limit: z.int().min(1).max(200).default(50),
});
export type ChatMessagesInput = z.infer<typeof chatMessagesInput>;
