import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { describeDenial, isAppError, type QuotaDenial } from "@wavelength/shared";
import { isDatabaseUnavailable, type Db } from "@wavelength/db";
import type { AuthenticatedKey } from "../api-keys/api-key-service.ts";
import type { AdmitDecision, Clock, Logger, QuotaEngine } from "../metering/index.ts";
import { apiLedgerKey } from "../metering/provenance.ts";
import { costMicros, estimateCostMicros, type Price, type PriceBook } from "../pricing/index.ts";
import {
  countPromptTokens,
  countTextTokens,
  isProviderError,
  type ChatMessage,
  type ModelInfo,
  type ProviderRegistry,
  type ProviderUsage,
} from "../providers/index.ts";
import { OpenAIError, badRequest } from "./errors.ts";
import { IdempotencyStore, type CompletionUsage, type StoredCompletion } from "./idempotency.ts";
import { assertModelUsable, modelRef, resolveModel, usableModels } from "./models.ts";
import { applicable, rateLimitHeaders, resetDuration } from "./rate-limit-headers.ts";
import { parseChatRequest, requestedMaxTokens, toChatMessages } from "./request.ts";
import { ChunkWriter, SSE_DONE, completionBody, openAIFinishReason, streamError } from "./wire.ts";

/** Where a response goes: the HTTP route implements it over the raw socket. */
export interface CompletionSink {
  /** Fires when the client went away: nothing written afterwards reaches anyone. */
  readonly closed: AbortSignal;
  json(status: number, headers: Record<string, string>, body: unknown): void;
  startStream(headers: Record<string, string>): void;
  write(data: string): void;
  end(): void;
}

export interface OpenAICompatOptions {
  db: Db;
  engine: QuotaEngine;
  registry: ProviderRegistry;
  prices: PriceBook;
  clock: Clock;
  logger: Logger;
  /** Alias → "provider/model". */
  aliases?: ReadonlyMap<string, string>;
  /**
   * After a client disconnects, how long the provider's stream is still read for its usage report
   * (OpenAI reports usage only at the end of a stream); after that it is cut and what arrived is
   * counted with the tokenizer. The provider stops at the request's max tokens anyway.
   */
  drainLimitMs?: number;
}

/** A request that passed admission: everything needed to run it and settle it. */
interface Admitted {
  key: AuthenticatedKey;
  info: ModelInfo;
  messages: ChatMessage[];
  promptTokens: number;
  maxOutputTokens: number;
  temperature: number | undefined;
  price: Price;
  ledgerKey: string;
  requestId: string;
  claimed: boolean;
  stream: boolean;
  includeUsage: boolean;
  created: number;
  headers: Promise<Record<string, string>>;
}

const DEFAULT_DRAIN_LIMIT_MS = 5 * 60_000;
/** A wait longer than this (a daily or monthly limit) is not worth an SDK's automatic retries. */
const RETRY_WORTHWHILE_MS = 60_000;

const DIMENSION_TYPE = { requests: "requests", tokens: "tokens", costMicros: "cost" } as const;

/**
 * POST /v1/chat/completions and GET /v1/models behind a personal API key: the same providers,
 * price book, tokenizer estimate, admission, settlement and ledger as the chat page, in OpenAI's
 * shapes. A request is admitted against its owner's limits and the key's own in one statement;
 * its ledger event (`api:<keyId>:<requestId>`) is settled only here, with the provider's reported
 * usage, or a tokenizer count when there is none; a failure before any output is released.
 */
export class OpenAICompatService {
  private readonly running = new Set<AbortController>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly aliases: ReadonlyMap<string, string>;
  private readonly drainLimitMs: number;
  readonly idempotency: IdempotencyStore;
  /** Requests served past admission, and how many of their clients left before the answer ended. */
  readonly metrics = { served: 0, clientDisconnects: 0 };

  constructor(private readonly o: OpenAICompatOptions) {
    this.aliases = o.aliases ?? new Map();
    this.drainLimitMs = o.drainLimitMs ?? DEFAULT_DRAIN_LIMIT_MS;
    this.idempotency = new IdempotencyStore(o.db, o.engine.ttlMs);
  }

  /** GET /v1/models: what this key may call, with the owner's standing in the rate-limit headers. */
  async models(key: AuthenticatedKey): Promise<{ headers: Record<string, string>; body: unknown }> {
    const models = usableModels(this.o.registry, key.owner.tier, key.models);
    return {
      headers: await this.standing(key, null).catch(() => ({})),
      body: {
        object: "list",
        data: models.map((m) => ({ id: modelRef(m), object: "model", created: 0, owned_by: m.provider })),
      },
    };
  }

  /** POST /v1/chat/completions. Never throws: every outcome is written to the sink. */
  async completions(
    key: AuthenticatedKey,
    body: unknown,
    idempotencyKey: string | null,
    sink: CompletionSink,
    /** Durations measured before (e.g. the route's key lookup), for the Server-Timing header. */
    timing: Record<string, number> = {},
  ) {
    const work = this.handle(key, body, idempotencyKey, sink, timing);
    this.inflight.add(work);
    try {
      await work;
    } finally {
      this.inflight.delete(work);
    }
  }

  /** Waits for every request this instance serves (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Cuts every provider stream (shutdown): what each produced is counted and charged on the way out. */
  async abortAll(): Promise<void> {
    for (const c of this.running) c.abort();
    await this.drain();
  }

  private async handle(
    key: AuthenticatedKey,
    body: unknown,
    idempotencyKey: string | null,
    sink: CompletionSink,
    timing: Record<string, number>,
  ) {
    let admitted: Admitted;
    try {
      const r = await this.admit(key, body, idempotencyKey, sink, timing);
      if (r === null) return; // answered already (a replay)
      admitted = r;
    } catch (error) {
      // Refusals carry the caller's standing too (a 429 brings its own); not when the store is away.
      const e = toOpenAIError(error);
      const standing =
        e.status < 500 && !("x-ratelimit-limit-requests" in e.headers)
          ? await this.standing(key, null).catch(() => ({}))
          : {};
      this.refuse(sink, error, standing);
      return;
    }
    await this.serve(admitted, sink);
  }

  /** Validation, model checks, the estimate, the idempotency claim and admission; null after a replay. */
  private async admit(
    key: AuthenticatedKey,
    body: unknown,
    idempotencyKey: string | null,
    sink: CompletionSink,
    timing: Record<string, number>,
  ): Promise<Admitted | null> {
    const { engine, registry, prices, clock } = this.o;
    const parsed = parseChatRequest(body);
    if (!parsed.ok) throw parsed.error;
    const req = parsed.value;
    const info = resolveModel(registry, this.aliases, req.model);
    if (!info) {
      throw new OpenAIError(
        404,
        `The model ${req.model} does not exist. GET /v1/models lists the models this key may use.`,
        "invalid_request_error",
        "model_not_found",
        "model",
      );
    }
    assertModelUsable(info, key.owner.tier, key.models, req.model);

    const messages = toChatMessages(req);
    const promptTokens = countPromptTokens(messages);
    const asked = requestedMaxTokens(req);
    const askedParam = req.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
    if (asked !== null && asked > info.maxOutputTokens) {
      throw badRequest(
        `${askedParam} is too large: ${asked}. ${modelRef(info)} supports at most ${info.maxOutputTokens} completion tokens.`,
        askedParam,
      );
    }
    const room = info.contextWindow - promptTokens;
    if (room < 1 || (asked !== null && asked > room)) {
      throw badRequest(
        `${modelRef(info)}'s context is ${info.contextWindow} tokens; the messages take ${promptTokens}` +
          (asked !== null ? ` and ${asked} more were asked for.` : "."),
        "messages",
        "context_length_exceeded",
      );
    }
    // Without max_tokens the reservation covers the longest reply the model may give.
    const maxOutputTokens = asked ?? Math.min(info.maxOutputTokens, room);
    const now = clock.now();
    const price = await prices.priceFor(info.provider, info.model, now);

    let requestId: string = randomUUID();
    let claimed = false;
    if (idempotencyKey !== null) {
      const claim = await this.idempotency.claim(key.keyId, idempotencyKey, IdempotencyStore.hash(req), now);
      switch (claim.kind) {
        case "replay":
          await this.replay(
            key,
            info,
            claim.completion,
            req.stream === true,
            req.stream_options?.include_usage === true,
            sink,
          );
          return null;
        case "in_progress":
          throw new OpenAIError(
            409,
            "A request with this Idempotency-Key is still running; retry shortly to get its answer.",
            "invalid_request_error",
            "idempotency_key_in_use",
          );
        case "mismatch":
          throw badRequest(
            "This Idempotency-Key was used for a different request; use a new key for a new request.",
            null,
            "idempotency_key_reused",
          );
        case "new":
          requestId = claim.requestId;
          claimed = true;
      }
    }
    const ledgerKey = apiLedgerKey(key.keyId, requestId);
    let decision: AdmitDecision;
    const admitStart = performance.now();
    try {
      decision = await engine.admit({
        subject: key.owner,
        also: key.keySubject ? [key.keySubject] : [],
        provider: info.provider,
        model: info.model,
        estTokens: promptTokens + maxOutputTokens,
        estCostMicros: estimateCostMicros(price, promptTokens, maxOutputTokens),
        key: ledgerKey,
      });
    } catch (error) {
      if (claimed) await this.idempotency.abandon(requestId).catch(() => undefined);
      throw error;
    }
    const admitMs = performance.now() - admitStart;
    if (!decision.allowed) {
      if (claimed) await this.idempotency.abandon(requestId).catch(() => undefined);
      throw this.denial(key, info, decision);
    }
    const standingStart = performance.now();
    return {
      key,
      info,
      messages,
      promptTokens,
      maxOutputTokens,
      temperature: req.temperature ?? undefined,
      price,
      ledgerKey,
      requestId,
      claimed,
      stream: req.stream === true,
      includeUsage: req.stream_options?.include_usage === true,
      created: Math.floor(now.getTime() / 1000),
      // Read while the provider starts, so the headers cost the first token no time. Server-Timing
      // says what Wavelength's own work took before the provider's answer (auth is the route's).
      headers: this.standing(key, info)
        .catch(() => ({}))
        .then((h) => ({
          ...h,
          "server-timing": serverTiming({
            ...timing,
            admit: admitMs,
            limits: performance.now() - standingStart,
          }),
        })),
    };
  }

  /** The 429: every binding limit, the first named in the message, with when to come back. */
  private denial(key: AuthenticatedKey, info: ModelInfo, d: Extract<AdmitDecision, { allowed: false }>): OpenAIError {
    const now = this.o.clock.now();
    const keyLimit = (i: number) => key.keySubject !== null && d.deniedSubjects[i] === key.keySubject.key;
    const first = d.denials[0]!;
    const whose = keyLimit(0) ? "This API key's own limit" : "Your account's limit";
    const lastReset = Math.max(...d.denials.map((x) => x.resetsAt.getTime()));
    const waitMs = lastReset - now.getTime();
    const limit = (x: QuotaDenial, i: number) => ({
      subject: keyLimit(i) ? "api_key" : "account",
      window: x.window,
      scope: x.scope,
      provider: x.provider,
      model: x.model,
      dimension: x.dimension,
      used: x.used,
      limit: x.limit,
      remaining: x.remaining,
      resets_at: x.resetsAt.toISOString(),
    });
    return new OpenAIError(
      429,
      `${whose}: ${describeDenial(first, key.owner.timeZone, now)}`,
      DIMENSION_TYPE[first.dimension],
      "rate_limit_exceeded",
      null,
      { limit: limit(first, 0), limits: d.denials.map(limit) },
      {
        ...rateLimitHeaders(applicable(d.quotas, info.provider, info.model), now),
        "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
        "x-ratelimit-reset-after": resetDuration(waitMs),
        // SDKs retry a 429 within seconds; a limit that resets in hours would only be hit again.
        ...(waitMs > RETRY_WORTHWHILE_MS ? { "x-should-retry": "false" } : {}),
      },
    );
  }

  /** The rate-limit headers: where the owner and the key stand on the limits that apply. */
  private async standing(key: AuthenticatedKey, info: ModelInfo | null): Promise<Record<string, string>> {
    const { engine, clock } = this.o;
    const [own, keys] = await Promise.all([
      engine.statuses(key.owner),
      key.keySubject ? engine.statuses(key.keySubject) : Promise.resolve([]),
    ]);
    return rateLimitHeaders(applicable([...own, ...keys], info?.provider ?? null, info?.model ?? null), clock.now());
  }

  /** Runs the admitted request to its end, whatever the client does, then settles it exactly once. */
  private async serve(a: Admitted, sink: CompletionSink): Promise<void> {
    const { registry, logger } = this.o;
    const controller = new AbortController();
    this.running.add(controller);
    this.metrics.served++;
    const id = `chatcmpl-${a.requestId.replaceAll("-", "")}`;
    const writer = new ChunkWriter({ id, created: a.created, model: modelRef(a.info) }, a.includeUsage);
    let started = false;
    const start = async () => {
      if (started || sink.closed.aborted) return;
      started = true;
      sink.startStream(await a.headers);
      sink.write(writer.role());
    };
    // A client that leaves does not stop the provider: its stream is read on to its usage report.
    let drainTimer: NodeJS.Timeout | undefined;
    const onClose = () => {
      this.metrics.clientDisconnects++;
      drainTimer = setTimeout(() => controller.abort(), this.drainLimitMs);
      drainTimer.unref();
    };
    if (sink.closed.aborted) onClose();
    else sink.closed.addEventListener("abort", onClose, { once: true });

    let text = "";
    let reported: ProviderUsage | null = null;
    let finishReason = "stop";
    let failure: unknown = null;
    try {
      for await (const event of registry.stream({
        provider: a.info.provider,
        model: a.info.model,
        messages: a.messages,
        maxOutputTokens: a.maxOutputTokens,
        ...(a.temperature === undefined ? {} : { temperature: a.temperature }),
        abortSignal: controller.signal,
      })) {
        if (event.type === "text") {
          text += event.delta;
          if (a.stream && !sink.closed.aborted) {
            await start();
            sink.write(writer.text(event.delta));
          }
        } else {
          reported = event.usage;
          finishReason = openAIFinishReason(event.finishReason);
        }
      }
    } catch (error) {
      // Our own cut (shutdown, drain limit) is not a provider failure: what arrived is charged.
      if (!controller.signal.aborted) failure = error;
    } finally {
      clearTimeout(drainTimer);
      sink.closed.removeEventListener("abort", onClose);
      this.running.delete(controller);
    }

    if (failure !== null && text === "") {
      // Nothing was generated: nothing is charged, and the idempotency key is free for a retry.
      await this.persist(() => this.o.engine.release(a.key.owner, a.ledgerKey));
      if (a.claimed) await this.idempotency.abandon(a.requestId).catch(() => undefined);
      logger.warn({ model: modelRef(a.info), err: safeMessage(failure) }, "provider failed before any output");
      this.refuse(sink, providerFailure(failure));
      return;
    }

    const usage = await this.settle(a, text, reported);
    const stored: StoredCompletion = {
      id,
      created: a.created,
      model: modelRef(a.info),
      content: text,
      finishReason,
      usage,
    };
    if (failure !== null) {
      // Partial output is charged; the key is given up so a retry can run (and is charged) anew.
      if (a.claimed) await this.idempotency.abandon(a.requestId).catch(() => undefined);
      logger.warn({ model: modelRef(a.info), err: safeMessage(failure) }, "provider failed mid-stream");
    } else if (a.claimed) {
      await this.idempotency.complete(a.requestId, stored, this.o.clock.now()).catch((error: unknown) => {
        logger.error({ err: safeMessage(error) }, "could not store an idempotent completion");
      });
    }

    if (sink.closed.aborted) return;
    if (!a.stream) {
      if (failure !== null) this.refuse(sink, providerFailure(failure));
      else sink.json(200, await a.headers, completionBody(stored));
      return;
    }
    await start();
    if (failure !== null) {
      sink.write(streamError(providerFailure(failure).message));
    } else {
      sink.write(writer.finish(finishReason));
      sink.write(writer.usage(usage));
      sink.write(SSE_DONE);
    }
    sink.end();
  }

  /**
   * Charges what the provider reported, or a tokenizer count of the prompt and of every token that
   * arrived (flagged estimated). Returns the usage as the response reports it: what was charged.
   */
  private async settle(a: Admitted, text: string, reported: ProviderUsage | null): Promise<CompletionUsage> {
    const actual = reported ?? {
      inputTokens: a.promptTokens,
      outputTokens: countTextTokens(text),
      cachedInputTokens: 0,
    };
    const cost = costMicros(a.price, actual);
    await this.persist(() =>
      this.o.engine.settle(
        a.key.owner,
        a.ledgerKey,
        { ...actual, costMicros: cost, estimated: reported === null, priceVersion: a.price.version },
        { provider: a.info.provider, model: a.info.model },
      ),
    );
    return {
      prompt_tokens: actual.inputTokens,
      completion_tokens: actual.outputTokens,
      total_tokens: actual.inputTokens + actual.outputTokens,
      ...(actual.cachedInputTokens > 0 ? { prompt_tokens_details: { cached_tokens: actual.cachedInputTokens } } : {}),
      cost_micros: cost,
      estimated: reported === null,
    };
  }

  /**
   * Settlement must not be lost to a database that is briefly away (the engine queues usage to the
   * outbox, which needs the database too): retried for about a minute, then logged; the
   * reservation then expires and the ledger shows the request unsettled.
   */
  private async persist(fn: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn();
        return;
      } catch (error) {
        if (!isDatabaseUnavailable(error) || attempt >= 40) {
          this.o.logger.error({ err: safeMessage(error) }, "could not settle an API request");
          return;
        }
        await new Promise((r) => setTimeout(r, 1_500));
      }
    }
  }

  private async replay(
    key: AuthenticatedKey,
    info: ModelInfo,
    c: StoredCompletion,
    stream: boolean,
    includeUsage: boolean,
    sink: CompletionSink,
  ): Promise<void> {
    const headers = { ...(await this.standing(key, info).catch(() => ({}))), "idempotent-replayed": "true" };
    if (!stream) {
      sink.json(200, headers, completionBody(c));
      return;
    }
    const writer = new ChunkWriter(c, includeUsage);
    sink.startStream(headers);
    sink.write(writer.role());
    if (c.content !== "") sink.write(writer.text(c.content));
    sink.write(writer.finish(c.finishReason));
    sink.write(writer.usage(c.usage));
    sink.write(SSE_DONE);
    sink.end();
  }

  /** Writes an error in OpenAI's shape; anything not ours is a 500 (or 503) without internals. */
  private refuse(sink: CompletionSink, error: unknown, headers: Record<string, string> = {}): void {
    if (sink.closed.aborted) return;
    const e = toOpenAIError(error);
    if (e.status >= 500 && !(error instanceof OpenAIError)) {
      this.o.logger.error({ err: safeMessage(error) }, "chat completion failed");
    }
    sink.json(e.status, { ...headers, ...e.headers }, e.body());
  }
}

/** `auth;dur=0.8, admit;dur=1.9` (milliseconds), the standard Server-Timing header. */
function serverTiming(timing: Record<string, number>): string {
  return Object.entries(timing)
    .map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`)
    .join(", ");
}

function providerFailure(error: unknown): OpenAIError {
  const message = isProviderError(error) ? error.message : "The model provider failed.";
  return new OpenAIError(502, message, "server_error", "provider_error");
}

export function toOpenAIError(error: unknown): OpenAIError {
  if (error instanceof OpenAIError) return error;
  if (isAppError(error) && error.code === "QUOTA_STORE_UNAVAILABLE") {
    return new OpenAIError(503, error.message, "server_error", "service_unavailable", null, {}, { "retry-after": "5" });
  }
  if (isAppError(error) && error.httpStatus < 500) {
    return new OpenAIError(error.httpStatus, error.message, "invalid_request_error", error.code.toLowerCase());
  }
  if (isDatabaseUnavailable(error)) {
    return new OpenAIError(
      503,
      "The service is briefly unavailable. Please try again in a moment.",
      "server_error",
      "service_unavailable",
      null,
      {},
      { "retry-after": "5" },
    );
  }
  return new OpenAIError(500, "The server had an error processing your request.", "server_error", "internal_error");
}

/** Provider errors carry safe messages (no keys, no bodies); nothing else is logged beyond its name. */
function safeMessage(error: unknown): string {
  if (isProviderError(error)) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
}
