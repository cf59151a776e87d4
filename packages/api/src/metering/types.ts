import type { QuotaScope, WindowType } from "@wavelength/shared";
import type { SubjectKey } from "./subject.ts";

/** A quota row as stored: effective limits (override applied), usage and reservations of its window. */
export interface QuotaRowState {
  id: string;
  subject: string;
  window: WindowType;
  scope: QuotaScope;
  /** "" when the scope does not name one. */
  provider: string;
  model: string;
  timezone: string;
  requestLimit: number | null;
  tokenLimit: number | null;
  costLimitMicros: number | null;
  overridden: boolean;
  overrideExpiresAt: Date | null;
  requestsUsed: number;
  tokensUsed: number;
  costUsedMicros: number;
  requestsReserved: number;
  tokensReserved: number;
  costReservedMicros: number;
  windowStart: Date;
  resetAt: Date;
}

export interface WindowBounds {
  start: Date;
  resetsAt: Date;
}

/** The current daily and monthly windows of one subject, computed in its zone. */
export interface SubjectWindows {
  subject: SubjectKey;
  timezone: string;
  daily: WindowBounds;
  monthly: WindowBounds;
}

/** One dimension of one row that would go over its limit. */
export interface StoreDenial {
  rowId: string;
  dimension: "requests" | "tokens" | "costMicros";
  used: number;
  limit: number;
}

export interface StoreAdmitRequest {
  /** The first subject owns the event; the rest (an address cap) are checked and reserved with it. */
  windows: readonly SubjectWindows[];
  provider: string;
  model: string;
  key: string;
  estTokens: number;
  estCostMicros: number;
  now: Date;
  ttlMs: number;
  dryRun: boolean;
}

export type StoreAdmitResult =
  | { status: "uninitialized"; subjects: string[] }
  | { status: "duplicate"; eventId: string; eventStatus: UsageEventStatus }
  | { status: "denied"; denials: StoreDenial[]; rows: QuotaRowState[] }
  | { status: "checked"; rows: QuotaRowState[] }
  | { status: "admitted"; eventId: string; rows: QuotaRowState[] };

export type UsageEventStatus = "reserved" | "settled" | "released" | "expired";

/** What a provider reported (or a tokenizer counted) for one request. */
export interface ActualUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costMicros: number;
  /** True when counted by our tokenizer because the provider reported nothing. */
  estimated: boolean;
  priceVersion: string | null;
}

export interface StoreSettleRequest extends ActualUsage {
  subject: SubjectKey;
  key: string;
  now: Date;
}

export type StoreSettleResult =
  | { status: "settled"; eventId: string }
  | { status: "duplicate"; eventId: string }
  | { status: "released"; eventId: string }
  | { status: "not_found" };

export type StoreReleaseResult =
  | { status: "released"; eventId: string }
  | { status: "unchanged"; eventId: string; eventStatus: UsageEventStatus }
  | { status: "not_found" };

export interface StoreRecordRequest extends ActualUsage {
  windows: SubjectWindows;
  key: string;
  provider: string;
  model: string;
  occurredAt: Date;
  now: Date;
}

export type StoreRecordResult = { status: "recorded"; eventId: string } | { status: "duplicate" };

/** A limit as the tier table or an operator states it (null = unlimited). */
export interface LimitRowSpec {
  window: WindowType;
  scope: QuotaScope;
  provider: string;
  model: string;
  requests: number | null;
  tokens: number | null;
  costMicros: number | null;
}

export interface UsageEventView {
  id: string;
  subject: string;
  key: string;
  provider: string;
  model: string;
  status: UsageEventStatus;
  estTokens: number;
  estCostMicros: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costMicros: number | null;
  reservedAt: Date;
  expiresAt: Date | null;
}
