import { z } from "zod";
import {
  DEFAULT_PROOF_OF_WORK,
  DEFAULT_SIGN_UP_THROTTLE,
  type ProofOfWorkPolicy,
  type ProviderConfig,
  type SignUpThrottlePolicy,
} from "@wavelength/api";

/** The only reader of process.env in the server: validated once, fails fast with a readable message. */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z.string().optional(),
  SESSION_SECRET: z.string().min(32, "SESSION_SECRET must be at least 32 characters").optional(),
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  QUOTA_FAIL_MODE: z.enum(["open", "closed"]).default("open"),
  TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  WEB_DIST: z.string().optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  /** Any OpenAI-compatible endpoint (Ollama, vLLM): base URL, provider id, comma-separated models. */
  OPENAI_COMPATIBLE_BASE_URL: z.url().optional(),
  OPENAI_COMPATIBLE_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, "OPENAI_COMPATIBLE_NAME must be a short lower-case id")
    .default("ollama"),
  OPENAI_COMPATIBLE_MODELS: z.string().default(""),
  OPENAI_COMPATIBLE_API_KEY: z.string().optional(),
  /** The offline demo model: on unless turned off; its pace per token. */
  DEMO_MODEL: z.enum(["on", "off"]).default("on"),
  DEMO_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(5_000).default(15),
  /** Every demo reply at least this many words (0: off), for trying long replies; "/demo words=…" does it per message. */
  DEMO_REPLY_WORDS: z.coerce.number().int().min(0).max(4_000).default(0),
  /** A provider that sends nothing for this long is given up on; the reply is charged what it produced. */
  CHAT_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
  /** Price of models missing from the price book, in USD per million tokens. */
  FALLBACK_INPUT_USD_PER_MILLION: z.coerce.number().min(0).max(10_000).default(3),
  FALLBACK_OUTPUT_USD_PER_MILLION: z.coerce.number().min(0).max(10_000).default(15),
  /** Short names for models on the OpenAI-compatible endpoint: "fast=openai/gpt-4o-mini,demo=local-demo/demo-1". */
  MODEL_ALIASES: z
    .string()
    .default("")
    .refine(
      (s) =>
        s.trim() === "" ||
        s.split(",").every((p) => /^\s*[A-Za-z0-9._:-]{1,64}\s*=\s*[a-z0-9][a-z0-9._-]*\/\S+\s*$/.test(p)),
      'MODEL_ALIASES must be comma-separated "alias=provider/model" pairs',
    ),
  /** Serve cookies with Secure even over plain HTTP behind a TLS-terminating proxy. */
  COOKIE_SECURE: z.enum(["auto", "always", "never"]).default("auto"),
  /** New accounts per client address per hour, and site-wide per hour (sign-up throttle). */
  SIGN_UP_PER_ADDRESS_PER_HOUR: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(DEFAULT_SIGN_UP_THROTTLE.address.limit),
  SIGN_UP_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_SIGN_UP_THROTTLE.site.limit),
  /**
   * Proof of work for sign-up and for sign-in after failures: PBKDF2 iterations per try, and the
   * largest counter to find (work ≈ cost × 0.75 × max counter). Lower them only for tests.
   */
  PROOF_OF_WORK_COST: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_PROOF_OF_WORK.cost),
  PROOF_OF_WORK_MAX_COUNTER: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_PROOF_OF_WORK.maxCounter),
});

export type Env = z.infer<typeof schema> & { SESSION_SECRET: string };

// Only for development: a stable secret so cookies survive restarts. Production must set its own.
const DEV_SESSION_SECRET = "wavelength-development-secret-do-not-use-in-production";

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (!env.SESSION_SECRET && env.NODE_ENV === "production") {
    throw new Error("Invalid environment:\n  SESSION_SECRET: required in production (at least 32 characters)");
  }
  return { ...env, SESSION_SECRET: env.SESSION_SECRET ?? DEV_SESSION_SECRET };
}

/** The sign-up and sign-in doors' settings, for createServices. */
export function authConfig(env: Env): {
  authSecret: string;
  signUpThrottle: SignUpThrottlePolicy;
  proofOfWork: ProofOfWorkPolicy;
} {
  const hour = 3_600_000;
  return {
    authSecret: env.SESSION_SECRET,
    signUpThrottle: {
      address: { limit: env.SIGN_UP_PER_ADDRESS_PER_HOUR, windowMs: hour },
      site: { limit: env.SIGN_UP_PER_HOUR, windowMs: hour },
    },
    proofOfWork: {
      cost: env.PROOF_OF_WORK_COST,
      maxCounter: env.PROOF_OF_WORK_MAX_COUNTER,
      ttlMs: DEFAULT_PROOF_OF_WORK.ttlMs,
    },
  };
}

/** The providers the environment enables; the demo model unless switched off. */
export function providerConfig(env: Env): ProviderConfig {
  const compatibleModels = env.OPENAI_COMPATIBLE_MODELS.split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  return {
    ...(env.OPENAI_API_KEY ? { openai: { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL } } : {}),
    ...(env.ANTHROPIC_API_KEY ? { anthropic: { apiKey: env.ANTHROPIC_API_KEY } } : {}),
    ...(env.OPENAI_COMPATIBLE_BASE_URL
      ? {
          openaiCompatible: {
            name: env.OPENAI_COMPATIBLE_NAME,
            baseURL: env.OPENAI_COMPATIBLE_BASE_URL,
            apiKey: env.OPENAI_COMPATIBLE_API_KEY,
            models: compatibleModels,
          },
        }
      : {}),
    demo: { enabled: env.DEMO_MODEL === "on", tokenDelayMs: env.DEMO_TOKEN_DELAY_MS, replyWords: env.DEMO_REPLY_WORDS },
  };
}
