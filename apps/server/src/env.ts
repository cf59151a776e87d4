import { z } from "zod";

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
  /** Serve cookies with Secure even over plain HTTP behind a TLS-terminating proxy. */
  COOKIE_SECURE: z.enum(["auto", "always", "never"]).default("auto"),
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
