// Building blocks shared by the procedure schemas. Every bound here is a product decision, not a
// type-system nicety: it is what stops a client from writing 1e300 tokens or a 10 MB name.

import { z } from "zod";
import { QUOTA_SCOPES, TIER_NAMES, WINDOW_TYPES, DIMENSIONS } from "../dimensions.ts";
import { SUBJECT_PATTERN } from "../subjects.ts";
import { canonicalTimeZone, isValidTimeZone } from "../windows.ts";

/** Largest token count one request may claim (prompt plus output of the largest context windows). */
export const MAX_TOKENS_PER_REQUEST = 10_000_000;
/** Largest cost one request may claim: $1,000,000 in micro-dollars. */
export const MAX_COST_MICROS_PER_REQUEST = 1_000_000_000_000;
/** Largest value an admin may set on any limit dimension (requests, tokens or micro-dollars). */
export const MAX_LIMIT_VALUE = 1_000_000_000_000;

export const tierNameSchema = z.enum(TIER_NAMES);
export const windowTypeSchema = z.enum(WINDOW_TYPES);
export const quotaScopeSchema = z.enum(QUOTA_SCOPES);
export const dimensionSchema = z.enum(DIMENSIONS);

/** IANA zone name, stored in the runtime's canonical spelling ("europe/berlin" → "Europe/Berlin"). */
export const timeZoneSchema = z
  .string()
  .trim()
  .max(64)
  // abort: zod 4 runs later checks after a failed one, and canonicalising an unknown zone throws.
  .refine(isValidTimeZone, {
    message: "Unknown time zone; use an IANA name such as Europe/Berlin",
    abort: true,
  })
  .overwrite(canonicalTimeZone);
export type TimeZone = z.infer<typeof timeZoneSchema>;

/**
 * Provider id: "openai", "anthropic", "local-demo", "ollama". No ":" or "/", which separate
 * provider from model in limit keys and "provider/model" patterns.
 */
export const providerSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
    message: "Provider must be lower-case letters, digits, '.', '_' or '-'",
  });
export type Provider = z.infer<typeof providerSchema>;

/**
 * Model id as the provider spells it: "gpt-4o-mini", "claude-opus-4-1", "llama3.1:8b". Upper case
 * is allowed because OpenAI-compatible servers (vLLM) serve Hugging Face ids such as
 * "meta-llama/Llama-3.1-8B-Instruct".
 */
export const modelSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/, {
    message: "Invalid model id",
  });
export type Model = z.infer<typeof modelSchema>;

/** Client-chosen key that makes a retried write apply once; long enough for a UUID plus prefix. */
// PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate is not text at all: both are refused
// here with a message instead of failing in the database (found by fuzzing).
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Free text that will be stored: trimmed, storable, between `min` and `max` characters. */
export function storableText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((s) => !UNSTORABLE.test(s), { message: "Text contains a character that cannot be stored" });
}

export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, {
  message: "Idempotency key must be 8-128 characters of A-Z a-z 0-9 _ . : -",
});

/** Database ids (Lucia, cuid, uuid). */
export const userIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { message: "Invalid user id" });

/** "user:<id>", "anon:<id>", "ip:<hash>" or "key:<apiKeyId>". */
export const subjectSchema = z.string().trim().regex(SUBJECT_PATTERN, { message: "Invalid quota subject" });

/** The subject a service call acts for: an account ("user:<id>") or a visitor ("anon:<id>"). */
export const serviceSubjectSchema = subjectSchema.refine((s) => s.startsWith("user:") || s.startsWith("anon:"), {
  message: 'Expected "user:<id>" or "anon:<id>"',
});

export const tokenCountSchema = z.int().nonnegative().max(MAX_TOKENS_PER_REQUEST);
export const costMicrosSchema = z.int().nonnegative().max(MAX_COST_MICROS_PER_REQUEST);
/** A limit on one dimension; null means unlimited. */
export const limitValueSchema = z.int().nonnegative().max(MAX_LIMIT_VALUE).nullable();

/**
 * A point in time: a Date (what superjson delivers) or an ISO 8601 string with an offset (what a
 * form or a plain JSON client sends). Always a Date after parsing. Invalid Dates are refused.
 */
export const instantSchema = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);
