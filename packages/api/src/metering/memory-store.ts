import { randomUUID } from "node:crypto";
import type { WindowType } from "@wavelength/shared";
import type { MeteringStore, SyncMode } from "./store.ts";
import type { SubjectKey } from "./subject.ts";
import type {
  LimitRowSpec,
  QuotaRowState,
  StoreAdmitRequest,
  StoreAdmitResult,
  StoreDenial,
  StoreRecordRequest,
  StoreRecordResult,
  StoreReleaseResult,
  StoreSettleRequest,
  StoreSettleResult,
  SubjectWindows,
  UsageEventStatus,
  UsageEventView,
} from "./types.ts";

interface MemRow {
  id: string;
  subject: string;
  window: WindowType;
  scope: QuotaRowState["scope"];
  provider: string;
  model: string;
  timezone: string;
  tier: {
    requests: number | null;
    tokens: number | null;
    costMicros: number | null;
  };
  override: {
    requests: number | null;
    tokens: number | null;
    costMicros: number | null;
    expiresAt: Date | null;
  } | null;
  requestsUsed: number;
  tokensUsed: number;
  costUsedMicros: number;
  requestsReserved: number;
  tokensReserved: number;
  costReservedMicros: number;
  windowStart: Date;
  resetAt: Date;
}

interface MemEvent {
  id: string;
  subject: string;
  key: string;
  provider: string;
  model: string;
  status: UsageEventStatus;
  rowIds: string[];
  estTokens: number;
  estCostMicros: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costMicros: number | null;
  reservedAt: Date;
  expiresAt: Date | null;
}

export interface HourlyRecord {
  subject: string;
  provider: string;
  model: string;
  hourStart: Date;
  requestCount: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

const rowKey = (subject: string, s: { window: string; scope: string; provider: string; model: string }) =>
  `${subject}|${s.window}|${s.scope}|${s.provider}|${s.model}`;

function applies(row: MemRow, provider: string, model: string): boolean {
  return (
    row.scope === "general" ||
    (row.scope === "provider" && row.provider === provider) ||
    (row.scope === "model" && row.provider === provider && row.model === model)
  );
}

function effective(row: MemRow, now: Date) {
  const o = row.override;
  const overridden = o !== null && (o.expiresAt === null || o.expiresAt > now);
  return { limits: overridden ? o : row.tier, overridden };
}

function view(row: MemRow, now: Date): QuotaRowState {
  const { limits, overridden } = effective(row, now);
  return {
    id: row.id,
    subject: row.subject,
    window: row.window,
    scope: row.scope,
    provider: row.provider,
    model: row.model,
    timezone: row.timezone,
    requestLimit: limits.requests,
    tokenLimit: limits.tokens,
    costLimitMicros: limits.costMicros,
    overridden,
    overrideExpiresAt: overridden ? (row.override?.expiresAt ?? null) : null,
    requestsUsed: row.requestsUsed,
    tokensUsed: row.tokensUsed,
    costUsedMicros: row.costUsedMicros,
    requestsReserved: row.requestsReserved,
    tokensReserved: row.tokensReserved,
    costReservedMicros: row.costReservedMicros,
    windowStart: row.windowStart,
    resetAt: row.resetAt,
  };
}

function rollRow(row: MemRow, w: Pick<SubjectWindows, "daily" | "monthly">, timezone: string): void {
  const b = row.window === "daily" ? w.daily : w.monthly;
  row.requestsUsed = row.tokensUsed = row.costUsedMicros = 0;
  row.requestsReserved = row.tokensReserved = row.costReservedMicros = 0;
  // Never before the old window's end: the old window's reservations stay out of the new one.
  row.windowStart = b.start > row.resetAt ? b.start : row.resetAt;
  row.resetAt = b.resetsAt;
  row.timezone = timezone;
}

/**
 * The same semantics as the PL/pgSQL functions, in memory. JavaScript runs
 * each method's body without interleaving (no await inside), which is what
 * makes every method atomic here.
 */
export class MemoryMeteringStore implements MeteringStore {
  private readonly rows = new Map<string, MemRow>();
  private readonly events = new Map<string, MemEvent>();
  readonly hourly = new Map<string, HourlyRecord>();

  private subjectRows(subject: string): MemRow[] {
    return [...this.rows.values()].filter((r) => r.subject === subject).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private newRow(w: SubjectWindows, spec: LimitRowSpec): MemRow {
    const b = spec.window === "daily" ? w.daily : w.monthly;
    return {
      id: randomUUID(),
      subject: w.subject,
      window: spec.window,
      scope: spec.scope,
      provider: spec.provider,
      model: spec.model,
      timezone: w.timezone,
      tier: { requests: null, tokens: null, costMicros: null },
      override: null,
      requestsUsed: 0,
      tokensUsed: 0,
      costUsedMicros: 0,
      requestsReserved: 0,
      tokensReserved: 0,
      costReservedMicros: 0,
      windowStart: b.start,
      resetAt: b.resetsAt,
    };
  }

  private upsertRow(w: SubjectWindows, spec: LimitRowSpec): MemRow {
    const k = rowKey(w.subject, spec);
    let row = this.rows.get(k);
    if (!row) {
      row = this.newRow(w, spec);
      this.rows.set(k, row);
    }
    return row;
  }

  async syncLimits(
    w: SubjectWindows,
    specs: readonly LimitRowSpec[],
    _now: Date,
    mode: SyncMode = "sync",
  ): Promise<void> {
    const wanted = new Set(specs.map((s) => rowKey(w.subject, s)));
    if (mode === "missing") {
      for (const spec of specs) {
        if (this.rows.has(rowKey(w.subject, spec))) continue;
        this.upsertRow(w, spec).tier = {
          requests: spec.requests,
          tokens: spec.tokens,
          costMicros: spec.costMicros,
        };
      }
      return;
    }
    for (const spec of specs) {
      this.upsertRow(w, spec).tier = {
        requests: spec.requests,
        tokens: spec.tokens,
        costMicros: spec.costMicros,
      };
    }
    for (const row of this.subjectRows(w.subject)) {
      if (!wanted.has(rowKey(row.subject, row))) row.tier = { requests: null, tokens: null, costMicros: null };
    }
  }

  async admit(req: StoreAdmitRequest): Promise<StoreAdmitResult> {
    const subjects = req.windows.map((w) => w.subject);
    const missing = subjects.filter((s) => this.subjectRows(s).length === 0);
    if (missing.length > 0) return { status: "uninitialized", subjects: missing };
    const owner = subjects[0]!;
    if (!req.dryRun) {
      const existing = this.events.get(`${owner}|${req.key}`);
      if (existing)
        return {
          status: "duplicate",
          eventId: existing.id,
          eventStatus: existing.status,
        };
    }
    const candidates: MemRow[] = [];
    for (const w of req.windows) {
      for (const row of this.subjectRows(w.subject)) {
        if (!applies(row, req.provider, req.model)) continue;
        let r = row;
        if (row.resetAt <= req.now) {
          // A dry run changes nothing: judge a copy as it would be after the lazy reset.
          r = req.dryRun ? { ...row } : row;
          rollRow(r, w, w.timezone);
        }
        candidates.push(r);
      }
    }
    candidates.sort((a, b) => (a.id < b.id ? -1 : 1));
    const needTokens = Math.max(req.estTokens, 1);
    const needCost = Math.max(req.estCostMicros, 1);
    const denials: StoreDenial[] = [];
    for (const r of candidates) {
      const { limits } = effective(r, req.now);
      if (limits.requests !== null && r.requestsUsed + r.requestsReserved + 1 > limits.requests)
        denials.push({
          rowId: r.id,
          dimension: "requests",
          used: r.requestsUsed + r.requestsReserved,
          limit: limits.requests,
        });
      if (limits.tokens !== null && r.tokensUsed + r.tokensReserved + needTokens > limits.tokens)
        denials.push({
          rowId: r.id,
          dimension: "tokens",
          used: r.tokensUsed + r.tokensReserved,
          limit: limits.tokens,
        });
      if (limits.costMicros !== null && r.costUsedMicros + r.costReservedMicros + needCost > limits.costMicros)
        denials.push({
          rowId: r.id,
          dimension: "costMicros",
          used: r.costUsedMicros + r.costReservedMicros,
          limit: limits.costMicros,
        });
    }
    const rows = () => candidates.map((r) => view(r, req.now));
    if (denials.length > 0) return { status: "denied", denials, rows: rows() };
    if (req.dryRun) return { status: "checked", rows: rows() };
    for (const r of candidates) {
      r.requestsReserved += 1;
      r.tokensReserved += req.estTokens;
      r.costReservedMicros += req.estCostMicros;
    }
    const event: MemEvent = {
      id: randomUUID(),
      subject: owner,
      key: req.key,
      provider: req.provider,
      model: req.model,
      status: "reserved",
      rowIds: candidates.map((r) => r.id),
      estTokens: req.estTokens,
      estCostMicros: req.estCostMicros,
      inputTokens: null,
      outputTokens: null,
      costMicros: null,
      reservedAt: req.now,
      expiresAt: new Date(req.now.getTime() + req.ttlMs),
    };
    this.events.set(`${owner}|${req.key}`, event);
    // Like the SQL store: an admission reports no rows (read them if needed).
    return { status: "admitted", eventId: event.id, rows: [] };
  }

  private rowsById(ids: readonly string[]): MemRow[] {
    const set = new Set(ids);
    return [...this.rows.values()].filter((r) => set.has(r.id));
  }

  private unreserve(e: MemEvent): void {
    for (const r of this.rowsById(e.rowIds)) {
      if (r.windowStart > e.reservedAt) continue; // rolled over: the reset already cleared it
      r.requestsReserved = Math.max(r.requestsReserved - 1, 0);
      r.tokensReserved = Math.max(r.tokensReserved - e.estTokens, 0);
      r.costReservedMicros = Math.max(r.costReservedMicros - e.estCostMicros, 0);
    }
  }

  private addHourly(
    subject: string,
    provider: string,
    model: string,
    at: Date,
    u: StoreSettleRequest | StoreRecordRequest,
  ) {
    const hourStart = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
    const k = `${subject}|${provider}|${model}|${hourStart.toISOString()}`;
    const h = this.hourly.get(k) ?? {
      subject,
      provider,
      model,
      hourStart,
      requestCount: 0,
      inputTokens: 0,
      outputTokens: 0,
      costMicros: 0,
    };
    h.requestCount += 1;
    h.inputTokens += u.inputTokens;
    h.outputTokens += u.outputTokens;
    h.costMicros += u.costMicros;
    this.hourly.set(k, h);
  }

  async settle(req: StoreSettleRequest): Promise<StoreSettleResult> {
    const e = this.events.get(`${req.subject}|${req.key}`);
    if (!e) return { status: "not_found" };
    if (e.status === "settled") return { status: "duplicate", eventId: e.id };
    if (e.status === "released") return { status: "released", eventId: e.id };
    if (e.status === "reserved") this.unreserve(e);
    for (const r of this.rowsById(e.rowIds)) {
      if (r.windowStart > e.reservedAt) continue;
      r.requestsUsed += 1;
      r.tokensUsed += req.inputTokens + req.outputTokens;
      r.costUsedMicros += req.costMicros;
    }
    this.addHourly(e.subject, e.provider, e.model, e.reservedAt, req);
    Object.assign(e, {
      status: "settled",
      inputTokens: req.inputTokens,
      outputTokens: req.outputTokens,
      costMicros: req.costMicros,
    });
    return { status: "settled", eventId: e.id };
  }

  async release(subject: SubjectKey, key: string): Promise<StoreReleaseResult> {
    const e = this.events.get(`${subject}|${key}`);
    if (!e) return { status: "not_found" };
    if (e.status !== "reserved") return { status: "unchanged", eventId: e.id, eventStatus: e.status };
    this.unreserve(e);
    e.status = "released";
    return { status: "released", eventId: e.id };
  }

  async expire(now: Date, limit: number): Promise<number> {
    const due = [...this.events.values()]
      .filter((e) => e.status === "reserved" && e.expiresAt !== null && e.expiresAt <= now)
      .slice(0, limit);
    for (const e of due) {
      this.unreserve(e);
      e.status = "expired";
    }
    return due.length;
  }

  async record(req: StoreRecordRequest): Promise<StoreRecordResult> {
    const w = req.windows;
    // Like wl_record: ended windows roll over first, even for a duplicate.
    const rows = this.subjectRows(w.subject);
    for (const r of rows) if (r.resetAt <= req.now) rollRow(r, w, w.timezone);
    if (this.events.has(`${w.subject}|${req.key}`)) return { status: "duplicate" };
    const applicable = rows.filter((r) => applies(r, req.provider, req.model));
    for (const r of applicable) {
      if (!(r.windowStart <= req.occurredAt && req.occurredAt < r.resetAt)) continue;
      r.requestsUsed += 1;
      r.tokensUsed += req.inputTokens + req.outputTokens;
      r.costUsedMicros += req.costMicros;
    }
    const id = randomUUID();
    this.events.set(`${w.subject}|${req.key}`, {
      id,
      subject: w.subject,
      key: req.key,
      provider: req.provider,
      model: req.model,
      status: "settled",
      rowIds: applicable.map((r) => r.id),
      estTokens: 0,
      estCostMicros: 0,
      inputTokens: req.inputTokens,
      outputTokens: req.outputTokens,
      costMicros: req.costMicros,
      reservedAt: req.occurredAt,
      expiresAt: null,
    });
    this.addHourly(w.subject, req.provider, req.model, req.occurredAt, req);
    return { status: "recorded", eventId: id };
  }

  async readRows(subject: SubjectKey, now: Date): Promise<QuotaRowState[]> {
    return this.subjectRows(subject).map((r) => view(r, now));
  }

  async dueTimezones(now: Date): Promise<string[]> {
    return [...new Set([...this.rows.values()].filter((r) => r.resetAt <= now).map((r) => r.timezone))];
  }

  async rollZone(timezone: string, w: Pick<SubjectWindows, "daily" | "monthly">, now: Date): Promise<number> {
    let n = 0;
    for (const r of this.rows.values()) {
      if (r.timezone === timezone && r.resetAt <= now) {
        rollRow(r, w, timezone);
        n++;
      }
    }
    return n;
  }

  async setOverride(w: SubjectWindows, spec: LimitRowSpec, override: { expiresAt: Date | null } | null): Promise<void> {
    const row = this.upsertRow(w, spec);
    row.override = override
      ? {
          requests: spec.requests,
          tokens: spec.tokens,
          costMicros: spec.costMicros,
          expiresAt: override.expiresAt,
        }
      : null;
  }

  async resetUsage(subject: SubjectKey, window: WindowType | undefined): Promise<number> {
    let n = 0;
    for (const r of this.subjectRows(subject)) {
      if (window && r.window !== window) continue;
      r.requestsUsed = r.tokensUsed = r.costUsedMicros = 0;
      n++;
    }
    return n;
  }

  async setTimeZone(subject: SubjectKey, timezone: string): Promise<void> {
    for (const r of this.subjectRows(subject)) r.timezone = timezone;
  }

  async getEvent(subject: SubjectKey, key: string): Promise<UsageEventView | null> {
    const e = this.events.get(`${subject}|${key}`);
    if (!e) return null;
    return { ...e, key: e.key };
  }
}
