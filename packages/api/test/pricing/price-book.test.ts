import type { Database } from "@wavelength/db";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeClock } from "../../src/metering/clock.ts";
import { PriceBook } from "../../src/pricing/index.ts";
import { DATABASE_ENGINES, freshDatabase, type TestDatabase } from "../support/databases.ts";

const FALLBACK = { inputPerMillionMicros: 10_000_000, outputPerMillionMicros: 30_000_000 };

for (const engine of DATABASE_ENGINES) {
  describe(`PriceBook (${engine})`, () => {
    let target: TestDatabase;
    let db: Database;
    let clock: FakeClock;
    let book: PriceBook;

    beforeEach(async () => {
      target = await freshDatabase(engine);
      db = await target.open();
      clock = new FakeClock("2026-03-15T12:00:00Z");
      book = new PriceBook(db.prisma, { fallback: FALLBACK, clock, cacheTtlMs: 30_000 });
    });

    afterEach(async () => {
      await db.close();
      await target.drop();
    });

    async function addPrice(
      provider: string,
      modelPattern: string,
      effectiveFrom: string,
      input: number,
      extra: { output?: number; cached?: number | null; contextWindow?: number } = {},
    ): Promise<string> {
      const row = await db.prisma.modelPrice.create({
        data: {
          provider,
          modelPattern,
          inputPerMillion: BigInt(input),
          outputPerMillion: BigInt(extra.output ?? input * 4),
          cachedInputPerMillion: extra.cached === null ? null : BigInt(extra.cached ?? input / 2),
          contextWindow: extra.contextWindow ?? 128_000,
          effectiveFrom: new Date(effectiveFrom),
        },
      });
      return row.id;
    }

    it("prices a model from its row, versioned by the row id", async () => {
      const id = await addPrice("openai", "gpt-4o", "2025-01-01T00:00:00Z", 2_500_000, {
        output: 10_000_000,
        cached: 1_250_000,
      });
      expect(await book.priceFor("openai", "gpt-4o", clock.now())).toEqual({
        version: id,
        provider: "openai",
        model: "gpt-4o",
        inputPerMillionMicros: 2_500_000,
        outputPerMillionMicros: 10_000_000,
        cachedInputPerMillionMicros: 1_250_000,
        contextWindow: 128_000,
        fallback: false,
      });
    });

    it("falls back, flagged, when no row matches", async () => {
      await addPrice("openai", "gpt-4o", "2025-01-01T00:00:00Z", 2_500_000);
      expect(await book.priceFor("openai", "gpt-5", clock.now())).toEqual({
        version: "fallback",
        provider: "openai",
        model: "gpt-5",
        inputPerMillionMicros: 10_000_000,
        outputPerMillionMicros: 30_000_000,
        cachedInputPerMillionMicros: 10_000_000,
        contextWindow: 8_192,
        fallback: true,
      });
      // The same model name under another provider is another model.
      expect((await book.priceFor("azure", "gpt-4o", clock.now())).fallback).toBe(true);
    });

    it("matches a trailing * as a prefix, and * alone as every model of the provider", async () => {
      const llama = await addPrice("ollama", "llama3*", "2025-01-01T00:00:00Z", 100);
      const any = await addPrice("vllm", "*", "2025-01-01T00:00:00Z", 200);
      expect((await book.priceFor("ollama", "llama3.1:8b", clock.now())).version).toBe(llama);
      expect((await book.priceFor("ollama", "llama3", clock.now())).version).toBe(llama);
      expect((await book.priceFor("ollama", "llama2", clock.now())).fallback).toBe(true);
      expect((await book.priceFor("vllm", "meta-llama/Llama-3.1-8B-Instruct", clock.now())).version).toBe(any);
    });

    it("applies the row in force at the given time", async () => {
      const old = await addPrice("anthropic", "claude-opus-4-1", "2025-01-01T00:00:00Z", 15_000_000);
      const cut = await addPrice("anthropic", "claude-opus-4-1", "2026-06-01T00:00:00Z", 5_000_000);
      const at = (iso: string) => book.priceFor("anthropic", "claude-opus-4-1", new Date(iso));
      expect((await at("2024-12-31T23:59:59.999Z")).fallback).toBe(true);
      expect((await at("2025-01-01T00:00:00Z")).version).toBe(old);
      expect(await at("2026-05-31T23:59:59.999Z")).toMatchObject({ version: old, inputPerMillionMicros: 15_000_000 });
      expect(await at("2026-06-01T00:00:00Z")).toMatchObject({ version: cut, inputPerMillionMicros: 5_000_000 });
    });

    it("prefers the latest row, and on the same date the more specific pattern", async () => {
      const wide = await addPrice("openai", "gpt-4o*", "2025-01-01T00:00:00Z", 1_000_000);
      const exact = await addPrice("openai", "gpt-4o-mini", "2025-01-01T00:00:00Z", 150_000);
      const narrower = await addPrice("openai", "gpt-4o-*", "2025-01-01T00:00:00Z", 500_000);
      expect((await book.priceFor("openai", "gpt-4o-mini", clock.now())).version).toBe(exact);
      expect((await book.priceFor("openai", "gpt-4o-audio", clock.now())).version).toBe(narrower);
      expect((await book.priceFor("openai", "gpt-4o", clock.now())).version).toBe(wide);
      // A later price change published as a pattern supersedes the older exact price.
      book.invalidate();
      const change = await addPrice("openai", "gpt-4o*", "2026-01-01T00:00:00Z", 900_000);
      expect((await book.priceFor("openai", "gpt-4o-mini", clock.now())).version).toBe(change);
    });

    it("bills cached input at the full rate when the row has no cached price", async () => {
      await addPrice("fake", "m", "2025-01-01T00:00:00Z", 700, { cached: null });
      expect((await book.priceFor("fake", "m", clock.now())).cachedInputPerMillionMicros).toBe(700);
    });

    it("keeps the table in memory for the TTL, with one query for concurrent callers", async () => {
      const first = await addPrice("openai", "gpt-4o", "2025-01-01T00:00:00Z", 2_500_000);
      const findMany = vi.spyOn(db.prisma.modelPrice, "findMany");
      const prices = await Promise.all(Array.from({ length: 5 }, () => book.priceFor("openai", "gpt-4o", clock.now())));
      expect(prices.map((p) => p.version)).toEqual(Array(5).fill(first));
      expect(findMany).toHaveBeenCalledTimes(1);

      const second = await addPrice("openai", "gpt-4o", "2026-01-01T00:00:00Z", 2_000_000);
      clock.advance(29_000);
      expect((await book.priceFor("openai", "gpt-4o", clock.now())).version).toBe(first);
      clock.advance(1_000);
      expect((await book.priceFor("openai", "gpt-4o", clock.now())).version).toBe(second);
      expect(findMany).toHaveBeenCalledTimes(2);
    });

    it("serves the last table it read when a refresh fails", async () => {
      const id = await addPrice("openai", "gpt-4o", "2025-01-01T00:00:00Z", 2_500_000);
      expect((await book.priceFor("openai", "gpt-4o", clock.now())).version).toBe(id);
      vi.spyOn(db.prisma.modelPrice, "findMany").mockRejectedValue(new Error("database is down"));
      clock.advance(60_000);
      expect((await book.priceFor("openai", "gpt-4o", clock.now())).version).toBe(id);
      const cold = new PriceBook(db.prisma, { fallback: FALLBACK, clock });
      await expect(cold.priceFor("openai", "gpt-4o", clock.now())).rejects.toThrow("database is down");
    });
  });
}
