import type { ProviderUsage } from "../providers/types.ts";
import type { Price } from "./price-book.ts";

const PER_MILLION = 1_000_000n;

/**
 * What a request cost, in integer micro-dollars, rounded up: cached tokens are part of the input
 * tokens and billed at the cached rate. Computed in BigInt, so the result is exact however large
 * the product of tokens and price.
 */
export function costMicros(price: Price, usage: ProviderUsage): number {
  const input = tokenCount(usage.inputTokens, "inputTokens");
  const output = tokenCount(usage.outputTokens, "outputTokens");
  // A provider reporting more cached tokens than input tokens must not make the bill negative.
  const cached = min(tokenCount(usage.cachedInputTokens, "cachedInputTokens"), input);
  const numerator =
    (input - cached) * rate(price.inputPerMillionMicros) +
    cached * rate(price.cachedInputPerMillionMicros) +
    output * rate(price.outputPerMillionMicros);
  return toSafeNumber(ceilDiv(numerator, PER_MILLION));
}

/**
 * The most a request can cost before it runs, for admission: every prompt token at the full input
 * rate (no cache discount is assumed) and the whole output budget. Never below costMicros of the
 * usage it turns out to have, as long as the provider's counts do not exceed ours.
 */
export function estimateCostMicros(price: Price, promptTokens: number, maxOutputTokens: number): number {
  const inputRate = Math.max(price.inputPerMillionMicros, price.cachedInputPerMillionMicros);
  return costMicros(
    { ...price, inputPerMillionMicros: inputRate },
    { inputTokens: promptTokens, outputTokens: maxOutputTokens, cachedInputTokens: 0 },
  );
}

function tokenCount(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return BigInt(value);
}

function rate(micros: number): bigint {
  if (!Number.isSafeInteger(micros) || micros < 0) {
    throw new RangeError(`A price must be a non-negative integer of micro-dollars, got ${micros}`);
  }
  return BigInt(micros);
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  // Both are non-negative here, so rounding towards zero plus one on a remainder is the ceiling.
  const quotient = numerator / denominator;
  return numerator % denominator === 0n ? quotient : quotient + 1n;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Cost of ${value} micro-dollars is beyond the safe integer range`);
  }
  return Number(value);
}
