import type { Db, SqlClient } from "@wavelength/db";
import { UNUSED_ANONYMOUS_RETENTION_MS, sweepUnusedAnonymousSessions } from "./accounts/anonymous-sessions.ts";
import {
  AuthService,
  type ProofOfWorkPolicy,
  type SignInThrottlePolicy,
  type SignUpThrottlePolicy,
} from "./auth/index.ts";
import { ApiKeyService } from "./api-keys/api-key-service.ts";
import { ChatService, type ChatServiceOptions } from "./chat/chat-service.ts";
import { PriceBook } from "./pricing/index.ts";
import { OpenAICompatService, type OpenAICompatOptions } from "./openai-compat/completions.ts";
import { createProviderRegistry, type ProviderConfig, type ProviderRegistry } from "./providers/index.ts";

/** Unknown models are priced like a mid-range hosted model until the price book knows them. */
const DEFAULT_FALLBACK_PRICE = { inputPerMillionMicros: 3_000_000, outputPerMillionMicros: 15_000_000 };
import {
  MeteringWorker,
  PrismaMeteringStore,
  QuotaEngine,
  SyncOutbox,
  silentLogger,
  systemClock,
  type Clock,
  type FailMode,
  type Logger,
  type MeteringStore,
  type WorkerOptions,
} from "./metering/index.ts";

/** Everything a request needs, built once per process and injected through the context. */
export interface Services {
  db: Db;
  auth: AuthService;
  chat: ChatService;
  /** Personal API keys (apiKeys.*, and the bearer of the OpenAI-compatible endpoint). */
  apiKeys: ApiKeyService;
  /** The OpenAI-compatible endpoint's logic (/v1/chat/completions, /v1/models). */
  openai: OpenAICompatService;
  registry: ProviderRegistry;
  prices: PriceBook;
  engine: QuotaEngine;
  outbox: SyncOutbox;
  worker: MeteringWorker;
  clock: Clock;
  logger: Logger;
}

export interface ServiceOptions {
  clock?: Clock;
  logger?: Logger;
  failMode?: FailMode;
  reservationTtlMs?: number;
  worker?: WorkerOptions;
  /** Defaults to the Prisma store over `db`; tests may wrap it (fault injection). */
  store?: MeteringStore;
  /** Plain SQL on the same database for the engine's hot paths (see @wavelength/db). */
  sql?: SqlClient;
  /** Session cookies' Secure flag (the server sets it per request; see apps/server). */
  secureCookies?: boolean | "auto";
  signInThrottle?: SignInThrottlePolicy;
  signUpThrottle?: SignUpThrottlePolicy;
  proofOfWork?: ProofOfWorkPolicy;
  /** Signs proof-of-work challenges and device cookies; the same on every instance (SESSION_SECRET). */
  authSecret?: string;
  /** LLM providers; the offline demo model when nothing else is configured. */
  providers?: ProviderConfig;
  /** Price for models missing from the price book (flagged as a fallback). */
  fallbackPrice?: { inputPerMillionMicros: number; outputPerMillionMicros: number };
  chat?: Pick<ChatServiceOptions, "flushIntervalMs" | "heartbeatMs" | "staleAfterMs" | "idleTimeoutMs" | "onTiming">;
  openaiCompat?: Pick<OpenAICompatOptions, "aliases" | "drainLimitMs">;
}

export function createServices(db: Db, options: ServiceOptions = {}): Services {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const outbox = new SyncOutbox(db, clock, logger);
  const engine = new QuotaEngine({
    store: options.store ?? new PrismaMeteringStore(db, options.sql),
    clock,
    logger,
    failMode: options.failMode,
    reservationTtlMs: options.reservationTtlMs,
    queue: outbox,
    onDenied: async (input, denials) => {
      const first = denials[0];
      if (!first) return;
      await db.quotaDenial.create({
        data: {
          subject: input.subject.key,
          provider: input.provider,
          model: input.model,
          scope: first.scope,
          window: first.window,
          dimension: first.dimension,
          at: clock.now(),
        },
      });
    },
  });
  const worker = new MeteringWorker(engine, outbox, clock, logger, {
    sweepUnusedVisitors: (now) =>
      sweepUnusedAnonymousSessions(db, new Date(now.getTime() - UNUSED_ANONYMOUS_RETENTION_MS)),
    ...options.worker,
  });
  const auth = new AuthService({
    db,
    clock,
    secureCookies: options.secureCookies ?? "auto",
    throttle: options.signInThrottle,
    signUpThrottle: options.signUpThrottle,
    proofOfWork: options.proofOfWork,
    secret: options.authSecret,
    sql: options.sql,
  });
  const prices = new PriceBook(db, { fallback: options.fallbackPrice ?? DEFAULT_FALLBACK_PRICE });
  const registry = createProviderRegistry(options.providers ?? { demo: { enabled: true, tokenDelayMs: 15 } });
  const chat = new ChatService({ db, sql: options.sql, engine, registry, prices, clock, logger, ...options.chat });
  const apiKeys = new ApiKeyService({ db, sql: options.sql, engine, registry, clock, logger });
  const openai = new OpenAICompatService({ db, engine, registry, prices, clock, logger, ...options.openaiCompat });
  return { db, auth, chat, apiKeys, openai, registry, prices, engine, outbox, worker, clock, logger };
}
