/** Admits one request for `subject`; `seq` is unique in the run (idempotency keys). */
export type Admit = (subject: string, seq: number) => Promise<boolean>;

/** One way of limiting requests, benchmarked on the same shapes as the others. */
export interface Contender {
  name: string;
  /** What one admission does, for the report. */
  description: string;
  /** An admission for these subjects with limits far above what the run uses: nothing is denied. */
  unlimited(subjects: readonly string[]): Promise<Admit>;
  /** An admission for one fresh subject allowed `limit` requests (the overshoot scenario). */
  limited(subject: string, limit: number): Promise<Admit>;
  /** How many requests the limiter's own storage holds for `subject`, where that means admissions. */
  counted?(subject: string): Promise<number>;
  close(): Promise<void>;
}

/** Runs `fn` over `items` with at most `width` in flight (setup work, not measured). */
export async function forEachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
}
