import type { Db } from "@wavelength/db";
import { systemClock, type Clock } from "../metering/clock.ts";

export { costMicros, estimateCostMicros } from "./cost.ts";

/** One model's prices in micro-dollars per million tokens, as of some moment. */
export interface Price {
  /** The model_prices row id, recorded on each usage event; "fallback" when no row matched. */
  version: string;
  provider: string;
  /** The model asked about (not the row's pattern). */
  model: string;
  inputPerMillionMicros: number;
  outputPerMillionMicros: number;
  cachedInputPerMillionMicros: number;
  contextWindow: number;
  /** No price is on file for this model: the operator's fallback applies. */
  fallback: boolean;
}

export interface FallbackPrice {
  inputPerMillionMicros: number;
  outputPerMillionMicros: number;
  /** Defaults to the input price (no discount assumed). */
  cachedInputPerMillionMicros?: number;
  /** Defaults to 8192; the provider registry's ModelInfo is the authority on context windows. */
  contextWindow?: number;
}

export interface PriceBookOptions {
  fallback: FallbackPrice;
  /** How long the price table is kept in memory; default 60 s. */
  cacheTtlMs?: number;
  clock?: Clock;
}

interface PriceRow {
  id: string;
  provider: string;
  modelPattern: string;
  inputPerMillion: bigint;
  outputPerMillion: bigint;
  cachedInputPerMillion: bigint | null;
  contextWindow: number;
  effectiveFrom: Date;
}

const DEFAULT_CACHE_TTL_MS = 60_000;
const DEFAULT_FALLBACK_CONTEXT_WINDOW = 8_192;

/**
 * The versioned price book (model_prices). Every request prices itself here twice (estimate,
 * settlement), so the whole table, a few rows per model, is read at most once per TTL and matched
 * in memory; a price change reaches every server within the TTL. Rows effective in the future are
 * kept and apply from their time on.
 */
export class PriceBook {
  private readonly fallback: Required<FallbackPrice>;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private rows: PriceRow[] | undefined;
  private loadedAt = 0;
  private loading: Promise<PriceRow[]> | undefined;

  constructor(
    private readonly db: Db,
    options: PriceBookOptions,
  ) {
    this.fallback = {
      inputPerMillionMicros: options.fallback.inputPerMillionMicros,
      outputPerMillionMicros: options.fallback.outputPerMillionMicros,
      cachedInputPerMillionMicros:
        options.fallback.cachedInputPerMillionMicros ?? options.fallback.inputPerMillionMicros,
      contextWindow: options.fallback.contextWindow ?? DEFAULT_FALLBACK_CONTEXT_WINDOW,
    };
    this.ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The price in force at `at`: of the rows for this provider whose pattern matches the model
   * (exactly, or by prefix when it ends in "*"; "*" alone matches every model of the provider) and
   * that took effect at or before `at`, the latest; on equal dates the more specific pattern.
   * A newer catch-all row therefore supersedes older exact ones, as a published price change should.
   * Without a match, the fallback price, flagged.
   */
  async priceFor(provider: string, model: string, at: Date): Promise<Price> {
    const rows = await this.table();
    let best: PriceRow | undefined;
    for (const row of rows) {
      if (row.provider !== provider || row.effectiveFrom > at || !matches(row.modelPattern, model)) continue;
      if (!best || isBetter(row, best)) best = row;
    }
    if (!best) {
      return { version: "fallback", provider, model, ...this.fallback, fallback: true };
    }
    const input = Number(best.inputPerMillion);
    return {
      version: best.id,
      provider,
      model,
      inputPerMillionMicros: input,
      outputPerMillionMicros: Number(best.outputPerMillion),
      // No cached price on file means no discount, never a free cache.
      cachedInputPerMillionMicros: best.cachedInputPerMillion === null ? input : Number(best.cachedInputPerMillion),
      contextWindow: best.contextWindow,
      fallback: false,
    };
  }

  /** Forgets the cached table, e.g. after an operator changed prices on this server. */
  invalidate(): void {
    this.rows = undefined;
  }

  private async table(): Promise<PriceRow[]> {
    const now = this.clock.now().getTime();
    if (this.rows && now - this.loadedAt < this.ttlMs) return this.rows;
    // Concurrent requests share one query.
    this.loading ??= this.load(now).finally(() => {
      this.loading = undefined;
    });
    try {
      return await this.loading;
    } catch (error) {
      // A database hiccup should not stop pricing while yesterday's table is still at hand.
      if (this.rows) return this.rows;
      throw error;
    }
  }

  private async load(now: number): Promise<PriceRow[]> {
    const rows = await this.db.modelPrice.findMany({
      select: {
        id: true,
        provider: true,
        modelPattern: true,
        inputPerMillion: true,
        outputPerMillion: true,
        cachedInputPerMillion: true,
        contextWindow: true,
        effectiveFrom: true,
      },
    });
    this.rows = rows;
    this.loadedAt = now;
    return rows;
  }
}

function matches(pattern: string, model: string): boolean {
  return pattern.endsWith("*") ? model.startsWith(pattern.slice(0, -1)) : model === pattern;
}

/** Exact beats any wildcard; a longer prefix beats a shorter one. */
function specificity(pattern: string): number {
  return pattern.endsWith("*") ? pattern.length - 1 : Number.MAX_SAFE_INTEGER;
}

function isBetter(a: PriceRow, b: PriceRow): boolean {
  const byDate = a.effectiveFrom.getTime() - b.effectiveFrom.getTime();
  if (byDate !== 0) return byDate > 0;
  return specificity(a.modelPattern) > specificity(b.modelPattern);
}
