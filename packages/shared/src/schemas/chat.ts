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

export const chatTaskInput = z.strictObject({ taskId: entityIdSchema });
export type ChatTaskInput = z.infer<typeof chatTaskInput>;

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
