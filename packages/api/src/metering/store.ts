import type { SubjectKey } from "./subject.ts";
import type {
  LimitRowSpec,
  QuotaRowState,
  StoreAdmitRequest,
  StoreAdmitResult,
  StoreRecordRequest,
  StoreRecordResult,
  StoreReleaseResult,
  StoreSettleRequest,
  StoreSettleResult,
  SubjectWindows,
  UsageEventView,
} from "./types.ts";
import type { WindowType } from "@wavelength/shared";

export type SyncMode = "sync" | "missing";

/**
 * The quota engine's narrow port. Every method is atomic: either all of its
 * effect happens or none. Two implementations: PostgreSQL/PGlite through
 * Prisma (the product) and memory (unit tests); one suite runs on both.
 */
export interface MeteringStore {
  /**
   * Makes the subject's rows match `specs` (the tier's limits): missing rows are
   * created in the given windows, tier limits of existing rows are updated, rows
   * not in `specs` lose their tier limit (an operator override stays). With
   * mode "missing", only missing rows are created (first use of a subject).
   */
  syncLimits(windows: SubjectWindows, specs: readonly LimitRowSpec[], now: Date, mode?: SyncMode): Promise<void>;
  admit(request: StoreAdmitRequest): Promise<StoreAdmitResult>;
  settle(request: StoreSettleRequest): Promise<StoreSettleResult>;
  release(subject: SubjectKey, key: string, now: Date): Promise<StoreReleaseResult>;
  /** Gives back reservations past their TTL; returns how many. */
  expire(now: Date, limit: number): Promise<number>;
  record(request: StoreRecordRequest): Promise<StoreRecordResult>;
  /** The subject's rows as stored (no lazy reset applied), limits as in force at `now`. */
  readRows(subject: SubjectKey, now: Date): Promise<QuotaRowState[]>;
  /** Zones of rows whose window has ended (for the reset sweep). */
  dueTimezones(now: Date): Promise<string[]>;
  /** Resets every row in `timezone` whose window ended, into the given windows. */
  rollZone(timezone: string, windows: Omit<SubjectWindows, "subject" | "timezone">, now: Date): Promise<number>;
  /** Sets (or with `limits` null, clears) an operator override on one row, creating the row if needed. */
  setOverride(
    windows: SubjectWindows,
    spec: LimitRowSpec,
    override: { expiresAt: Date | null } | null,
    now: Date,
  ): Promise<void>;
  /** Zeroes usage (not in-flight reservations) of the subject's rows, optionally of one window type. */
  resetUsage(subject: SubjectKey, window: WindowType | undefined, now: Date): Promise<number>;
  getEvent(subject: SubjectKey, key: string): Promise<UsageEventView | null>;
  /** The zone the subject's rows roll over in from their next reset (the current windows stay). */
  setTimeZone(subject: SubjectKey, timezone: string): Promise<void>;
}
