import { createDb, type Database } from "../../packages/db/src/index.ts";
import {
  PrismaMeteringStore,
  QuotaEngine,
  type LimitRowSpec,
  type SubjectRef,
} from "../../packages/api/src/metering/index.ts";
import { forEachLimited, type Admit, type Contender } from "./contender.ts";

export const PROVIDER = "openai";
export const MODEL = "gpt-4o-mini";
export const EST_TOKENS = 1000;
export const EST_COST_MICROS = 500;
const TIME_ZONE = "Europe/Berlin";

/** Far above anything the run uses (requests is an int4 column). */
const HUGE = { requests: 1_000_000_000, tokens: 1e15, costMicros: 1e15 };

/** Every row a gpt-4o-mini admission stacks on: daily + monthly general, the provider row, a model row. */
const STACK: LimitRowSpec[] = [
  { window: "daily", scope: "general", provider: "", model: "", ...HUGE },
  { window: "monthly", scope: "general", provider: "", model: "", ...HUGE },
  { window: "daily", scope: "provider", provider: PROVIDER, model: "", ...HUGE },
  { window: "daily", scope: "model", provider: PROVIDER, model: MODEL, ...HUGE },
];

const ref = (key: string): SubjectRef => ({ key: key as SubjectRef["key"], tier: "pro", timeZone: TIME_ZONE });

/**
 * The product path: QuotaEngine.admit → PrismaMeteringStore → one wl_admit() call
 * that locks the subject's rows, checks and reserves on all four applicable rows
 * and inserts the usage event, in one transaction.
 */
export async function wavelength(url: string, maxConnections: number, shared?: Database): Promise<Contender> {
  // A shared client stays open for its owner (PGlite: one process opens a folder once).
  const db = shared ?? (await createDb(url, { maxConnections }));
  // Closed: a store error must surface as an error, not as a silent fail-open admission.
  const engine = new QuotaEngine({ store: new PrismaMeteringStore(db.prisma, db.sql), failMode: "closed" });

  const admit: Admit = async (subject, seq) => {
    const d = await engine.admit({
      subject: ref(subject),
      provider: PROVIDER,
      model: MODEL,
      estTokens: EST_TOKENS,
      estCostMicros: EST_COST_MICROS,
      key: `bench-${seq}`,
    });
    if (d.allowed && (d.failOpen || d.duplicate)) throw new Error(`unexpected admission ${JSON.stringify(d)}`);
    return d.allowed;
  };

  return {
    name: "Wavelength QuotaEngine",
    description:
      "stacked admission: 4 rows (daily+monthly general, provider, model) × requests/tokens/cost, reserve + usage event, one PL/pgSQL call over the plain SQL client",
    async unlimited(subjects) {
      await forEachLimited(subjects, maxConnections, async (s) => {
        await engine.init(ref(s));
        for (const spec of STACK) await engine.setOverride(ref(s), spec, null);
      });
      return admit;
    },
    async limited(subject, limit) {
      await engine.init(ref(subject));
      await engine.setOverride(ref(subject), { ...STACK[0]!, requests: limit, tokens: null, costMicros: null }, null);
      return admit;
    },
    /** Requests reserved or used on the subject's daily general row (the one carrying the limit). */
    async counted(subject) {
      const rows = await engine.rows(ref(subject));
      const row = rows.find((r) => r.window === "daily" && r.scope === "general");
      return (row?.requestsReserved ?? 0) + (row?.requestsUsed ?? 0);
    },
    close: async () => {
      if (!shared) await db.close();
    },
  };
}
