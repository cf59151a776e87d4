import {
  AppError,
  MAX_API_KEY_LIFETIME_DAYS,
  MAX_API_KEYS_PER_USER,
  apiKeySubject,
  userSubject,
  type AdminApiKeyView,
  type AdminApiKeysInput,
  type ApiKeyCreateInput,
  type ApiKeyCreated,
  type ApiKeyLimits,
  type ApiKeyStatus,
  type ApiKeyView,
  type TierName,
} from "@wavelength/shared";
import type { Db, SqlClient } from "@wavelength/db";
import type { Clock, LimitRowSpec, Logger, QuotaEngine, SubjectRef } from "../metering/index.ts";
import type { ProviderRegistry } from "../providers/index.ts";
import { hashSecret, looksLikeSecret, newSecret, visiblePrefix } from "./secret.ts";

/** lastUsedAt is written at most this often per key: a busy key must not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;

/** A key that authenticated: who owns it, and the subjects its requests are admitted against. */
export interface AuthenticatedKey {
  keyId: string;
  userId: string;
  /** The owner's subject: its tier's limits, and the owner of every ledger event the key opens. */
  owner: SubjectRef & { tier: Exclude<TierName, "anonymous"> };
  /** The key's own limits as a co-subject, or null when it has none. */
  keySubject: SubjectRef | null;
  /** "provider/model" the key is restricted to; empty: any model the owner's plan allows. */
  models: string[];
}

export type KeyAuthentication =
  { ok: true; key: AuthenticatedKey } | { ok: false; reason: "missing" | "invalid" | "revoked" | "expired" };

interface KeyRow {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  dailyRequestLimit: number | null;
  dailyTokenLimit: bigint | null;
  dailyCostLimitMicros: bigint | null;
  monthlyRequestLimit: number | null;
  monthlyTokenLimit: bigint | null;
  monthlyCostLimitMicros: bigint | null;
  models: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** The key's columns as the limits it was created with. */
function limitsOf(row: KeyRow): ApiKeyLimits {
  const window = (requests: number | null, tokens: bigint | null, cost: bigint | null) => {
    const w = {
      ...(requests === null ? {} : { requests }),
      ...(tokens === null ? {} : { tokens: Number(tokens) }),
      ...(cost === null ? {} : { costMicros: Number(cost) }),
    };
    return Object.keys(w).length > 0 ? w : undefined;
  };
  const daily = window(row.dailyRequestLimit, row.dailyTokenLimit, row.dailyCostLimitMicros);
  const monthly = window(row.monthlyRequestLimit, row.monthlyTokenLimit, row.monthlyCostLimitMicros);
  return { ...(daily ? { daily } : {}), ...(monthly ? { monthly } : {}) };
}

/** The quota rows a key's limits become: general scope, per local day and month of its owner. */
export function keyLimitSpecs(limits: ApiKeyLimits): LimitRowSpec[] {
  const specs: LimitRowSpec[] = [];
  for (const window of ["daily", "monthly"] as const) {
    const w = limits[window];
    if (!w || (w.requests === undefined && w.tokens === undefined && w.costMicros === undefined)) continue;
    specs.push({
      window,
      scope: "general",
      provider: "",
      model: "",
      requests: w.requests ?? null,
      tokens: w.tokens ?? null,
      costMicros: w.costMicros ?? null,
    });
  }
  return specs;
}

/** The key's co-subject: its rows roll over in the owner's zone. Null when it has no limits. */
function keySubjectRef(keyId: string, tier: TierName, timeZone: string, limits: ApiKeyLimits): SubjectRef | null {
  const specs = keyLimitSpecs(limits);
  return specs.length === 0 ? null : { key: apiKeySubject(keyId), tier, timeZone, limits: specs };
}

export interface ApiKeyServiceOptions {
  db: Db;
  /** Plain SQL on the same database: authentication runs on every API request. */
  sql?: SqlClient;
  engine: QuotaEngine;
  registry: ProviderRegistry;
  clock: Clock;
  logger: Logger;
}

/**
 * Personal API keys: created by a signed-in user (the secret is shown once and only its SHA-256
 * is stored), listed, revoked by the owner or an operator, and authenticated on every request to
 * the OpenAI-compatible endpoint (revocation and expiry take effect on the next request).
 */
export class ApiKeyService {
  constructor(private readonly o: ApiKeyServiceOptions) {}

  private statusOf(row: Pick<KeyRow, "revokedAt" | "expiresAt">): ApiKeyStatus {
    if (row.revokedAt) return "revoked";
    if (row.expiresAt && row.expiresAt <= this.o.clock.now()) return "expired";
    return "active";
  }

  private async view(row: KeyRow, owner: { tier: TierName; timezone: string }): Promise<ApiKeyView> {
    const limits = limitsOf(row);
    const status = this.statusOf(row);
    const ref = keySubjectRef(row.id, owner.tier, owner.timezone, limits);
    return {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      status,
      createdAt: row.createdAt,
      lastUsedAt: row.lastUsedAt,
      expiresAt: row.expiresAt,
      revokedAt: row.revokedAt,
      limits,
      models: row.models,
      quota: ref && status === "active" ? await this.o.engine.statuses(ref) : [],
    };
  }

  async create(
    owner: { userId: string; tier: TierName; timeZone: string },
    input: ApiKeyCreateInput,
  ): Promise<ApiKeyCreated> {
    const { db, clock, engine, registry } = this.o;
    const now = clock.now();
    if (input.expiresAt) {
      if (input.expiresAt <= now) throw new AppError("BAD_REQUEST", "expiresAt: must be in the future");
      if (input.expiresAt.getTime() - now.getTime() > MAX_API_KEY_LIFETIME_DAYS * DAY_MS) {
        throw new AppError("BAD_REQUEST", `expiresAt: at most ${MAX_API_KEY_LIFETIME_DAYS} days from now`);
      }
    }
    const models = [...new Set(input.models ?? [])];
    for (const [i, ref] of models.entries()) {
      const slash = ref.indexOf("/");
      if (!registry.find(ref.slice(0, slash), ref.slice(slash + 1))) {
        throw new AppError("BAD_REQUEST", `models.${i}: no model ${ref} is configured`);
      }
    }
    const active = await db.apiKey.count({
      where: { userId: owner.userId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    });
    if (active >= MAX_API_KEYS_PER_USER) {
      throw new AppError("CONFLICT", `You have ${active} active keys, the most allowed; revoke one first.`);
    }
    const limits = input.limits ?? {};
    const big = (v: number | undefined) => (v === undefined ? null : BigInt(v));
    const secret = newSecret();
    const row = await db.apiKey.create({
      data: {
        userId: owner.userId,
        name: input.name,
        prefix: visiblePrefix(secret),
        secretHash: hashSecret(secret),
        dailyRequestLimit: limits.daily?.requests ?? null,
        dailyTokenLimit: big(limits.daily?.tokens),
        dailyCostLimitMicros: big(limits.daily?.costMicros),
        monthlyRequestLimit: limits.monthly?.requests ?? null,
        monthlyTokenLimit: big(limits.monthly?.tokens),
        monthlyCostLimitMicros: big(limits.monthly?.costMicros),
        models,
        expiresAt: input.expiresAt ?? null,
      },
    });
    // The key's rows now, so its first requests need not create them (they would if missing).
    const ref = keySubjectRef(row.id, owner.tier, owner.timeZone, limitsOf(row));
    if (ref) await engine.init(ref);
    return { key: await this.view(row, { tier: owner.tier, timezone: owner.timeZone }), secret };
  }

  /** The owner's keys, newest first, revoked and expired ones included (they explain past usage). */
  async list(owner: { userId: string; tier: TierName; timeZone: string }): Promise<ApiKeyView[]> {
    const rows = await this.o.db.apiKey.findMany({
      where: { userId: owner.userId },
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      take: 200,
    });
    return Promise.all(rows.map((r) => this.view(r, { tier: owner.tier, timezone: owner.timeZone })));
  }

  /** Revokes one of the owner's keys; another user's key is not found. Revoking twice is harmless. */
  async revoke(owner: { userId: string; tier: TierName; timeZone: string }, id: string): Promise<ApiKeyView> {
    const { db, clock } = this.o;
    await db.apiKey.updateMany({
      where: { id, userId: owner.userId, revokedAt: null },
      data: { revokedAt: clock.now(), revokedBy: "owner" },
    });
    const row = await db.apiKey.findFirst({ where: { id, userId: owner.userId } });
    if (!row) throw new AppError("NOT_FOUND", "No such API key.");
    return this.view(row, { tier: owner.tier, timezone: owner.timeZone });
  }

  /** Operators: keys of every user (or one), newest first, with their owners. */
  async adminList(input: AdminApiKeysInput): Promise<AdminApiKeyView[]> {
    const search = input?.search?.trim();
    const rows = await this.o.db.apiKey.findMany({
      where: {
        ...(input?.userId ? { userId: input.userId } : {}),
        ...(input?.includeRevoked ? {} : { revokedAt: null }),
        ...(search
          ? {
              OR: [
                { name: { contains: search, mode: "insensitive" } },
                { prefix: { startsWith: search } },
                { user: { email: { contains: search.toLowerCase() } } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      take: input?.limit ?? 100,
      include: { user: { select: { email: true, tier: true, timezone: true } } },
    });
    return Promise.all(
      rows.map(async (r) => ({ ...(await this.view(r, r.user)), userId: r.userId, email: r.user.email })),
    );
  }

  /** Operators: revoke any key. Returns the owner, for the audit log. */
  async adminRevoke(id: string, actor: string): Promise<AdminApiKeyView> {
    const { db, clock } = this.o;
    await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: clock.now(), revokedBy: actor } });
    const row = await db.apiKey.findUnique({
      where: { id },
      include: { user: { select: { email: true, tier: true, timezone: true } } },
    });
    if (!row) throw new AppError("NOT_FOUND", "No such API key.");
    return { ...(await this.view(row, row.user)), userId: row.userId, email: row.user.email };
  }

  /**
   * The key behind a bearer secret, with its owner's current tier and zone, in one indexed read.
   * A revoked or expired key says so (the client should stop retrying); anything else is invalid.
   */
  async authenticate(secret: string | null): Promise<KeyAuthentication> {
    if (secret === null || secret === "") return { ok: false, reason: "missing" };
    if (!looksLikeSecret(secret)) return { ok: false, reason: "invalid" };
    const { db, clock } = this.o;
    // Times as epoch milliseconds: Prisma's PGlite adapter misreads timestamptz outside UTC (see TOOLCHAIN).
    type Row = {
      id: string;
      userId: string;
      models: string[] | null;
      dReq: number | null;
      dTok: number | null;
      dCost: number | null;
      mReq: number | null;
      mTok: number | null;
      mCost: number | null;
      expiresMs: number | null;
      revoked: boolean;
      lastUsedMs: number | null;
      tier: string;
      timezone: string;
    };
    const text = `SELECT k.id, k.user_id AS "userId", k.models,
              k.daily_request_limit AS "dReq", k.daily_token_limit::float8 AS "dTok",
              k.daily_cost_limit_micros::float8 AS "dCost", k.monthly_request_limit AS "mReq",
              k.monthly_token_limit::float8 AS "mTok", k.monthly_cost_limit_micros::float8 AS "mCost",
              extract(epoch FROM k.expires_at)::float8 * 1000 AS "expiresMs",
              k.revoked_at IS NOT NULL AS revoked,
              extract(epoch FROM k.last_used_at)::float8 * 1000 AS "lastUsedMs",
              u.tier::text AS tier, u.timezone
       FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.secret_hash = $1`;
    const hash = hashSecret(secret);
    const rows = this.o.sql ? await this.o.sql.query<Row>(text, [hash]) : await db.$queryRawUnsafe<Row[]>(text, hash);
    const k = rows[0];
    if (!k || (k.tier !== "free" && k.tier !== "pro")) return { ok: false, reason: "invalid" };
    if (k.revoked) return { ok: false, reason: "revoked" };
    const now = clock.now();
    if (k.expiresMs !== null && k.expiresMs <= now.getTime()) return { ok: false, reason: "expired" };
    if (k.lastUsedMs === null || now.getTime() - k.lastUsedMs >= LAST_USED_RESOLUTION_MS) {
      // Not awaited: when a key was last used is worth no latency on the request.
      void db.apiKey.update({ where: { id: k.id }, data: { lastUsedAt: now } }).catch((error: unknown) => {
        this.o.logger.warn({ err: (error as Error).message }, "could not record an API key's last use");
      });
    }
    const num = (v: number | null) => (v === null ? undefined : Number(v));
    const limits: ApiKeyLimits = {
      daily: { requests: num(k.dReq), tokens: num(k.dTok), costMicros: num(k.dCost) },
      monthly: { requests: num(k.mReq), tokens: num(k.mTok), costMicros: num(k.mCost) },
    };
    const tier = k.tier;
    return {
      ok: true,
      key: {
        keyId: k.id,
        userId: k.userId,
        owner: { key: userSubject(k.userId), tier, timeZone: k.timezone },
        keySubject: keySubjectRef(k.id, tier, k.timezone, limits),
        models: k.models ?? [],
      },
    };
  }
}
