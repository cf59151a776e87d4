// Personal API keys: inputs of the apiKeys router (and the operators' procedures) and what they
// return. A key's own limits are lower caps stacked on its owner's in the same admission.

import { z } from "zod";
import type { QuotaDimensionStatus } from "../quota-math.ts";
import {
  instantSchema,
  MAX_LIMIT_VALUE,
  modelSchema,
  providerSchema,
  storableText,
  userIdSchema,
} from "./primitives.ts";

/** Every secret starts with this, so secret scanners and humans recognise one. */
export const API_KEY_PREFIX = "wl_";
/** Active (not revoked, not expired) keys one account may hold. */
export const MAX_API_KEYS_PER_USER = 20;
/** Models one key may be restricted to. */
export const MAX_API_KEY_MODELS = 20;
/** Longest lifetime a key may be given: two years. */
export const MAX_API_KEY_LIFETIME_DAYS = 730;

const apiKeyIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { message: "Invalid key id" });

/** One limit of a key: a positive whole number (a key that may use nothing is a revoked key). */
const keyLimitValue = z.int().min(1).max(MAX_LIMIT_VALUE);

const windowLimitsSchema = z.strictObject({
  requests: keyLimitValue.optional(),
  tokens: keyLimitValue.optional(),
  costMicros: keyLimitValue.optional(),
});
export type ApiKeyWindowLimits = z.infer<typeof windowLimitsSchema>;

/** The key's own caps per local day and month of its owner; absent ones are the owner's alone. */
export const apiKeyLimitsSchema = z.strictObject({
  daily: windowLimitsSchema.optional(),
  monthly: windowLimitsSchema.optional(),
});
export type ApiKeyLimits = z.infer<typeof apiKeyLimitsSchema>;

/** "provider/model", as the OpenAI-compatible endpoint names models (the model part may hold "/"). */
export const modelRefSchema = z
  .string()
  .trim()
  .refine(
    (s) => {
      const slash = s.indexOf("/");
      return (
        slash > 0 &&
        providerSchema.safeParse(s.slice(0, slash)).success &&
        modelSchema.safeParse(s.slice(slash + 1)).success
      );
    },
    { message: 'Expected "provider/model", e.g. "local-demo/demo-1"' },
  );

export const apiKeyCreateInput = z.strictObject({
  name: storableText(1, 60),
  /** When the key stops working; must be in the future (checked against the server's clock). */
  expiresAt: instantSchema.optional(),
  limits: apiKeyLimitsSchema.optional(),
  /** Only these models; absent or empty: every model the owner's plan allows. */
  models: z
    .array(modelRefSchema)
    .max(MAX_API_KEY_MODELS, { message: `At most ${MAX_API_KEY_MODELS} models` })
    .optional(),
});
export type ApiKeyCreateInput = z.infer<typeof apiKeyCreateInput>;

export const apiKeyRevokeInput = z.strictObject({ id: apiKeyIdSchema });
export type ApiKeyRevokeInput = z.infer<typeof apiKeyRevokeInput>;

export const adminApiKeysInput = z
  .strictObject({
    userId: userIdSchema.optional(),
    /** Part of the owner's email, the key's name or its visible prefix. */
    search: storableText(0, 200).optional(),
    includeRevoked: z.boolean().default(false),
    limit: z.int().min(1).max(500).default(100),
  })
  .optional();
export type AdminApiKeysInput = z.infer<typeof adminApiKeysInput>;

export const adminRevokeApiKeyInput = z.strictObject({ id: apiKeyIdSchema });
export type AdminRevokeApiKeyInput = z.infer<typeof adminRevokeApiKeyInput>;

export type ApiKeyStatus = "active" | "revoked" | "expired";

/** A key as its owner and operators see it: never the secret, only its visible prefix. */
export interface ApiKeyView {
  id: string;
  name: string;
  /** The secret's first characters ("wl_AbCd1234"), to tell keys apart. */
  prefix: string;
  status: ApiKeyStatus;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  limits: ApiKeyLimits;
  models: string[];
  /** Where the key stands against its own limits now (empty when it has none). */
  quota: QuotaDimensionStatus[];
}

/** What apiKeys.create returns: the one time the secret is ever shown. */
export interface ApiKeyCreated {
  key: ApiKeyView;
  secret: string;
}

export interface AdminApiKeyView extends ApiKeyView {
  userId: string;
  email: string;
}
