// Inputs and output of the operators' overview: what the whole system used over a range of UTC days.

import { z } from "zod";
import type { UsageTotals } from "./profile.ts";
import { instantSchema } from "./primitives.ts";

/** Longest overview range: a year plus slack to compare like months, as for a user's own analytics. */
export const ADMIN_OVERVIEW_MAX_DAYS = 400;
/** How many of the heaviest users and visitors the overview names. */
export const ADMIN_OVERVIEW_TOP_SUBJECTS = 10;

const DAY_MS = 86_400_000;

/** A range of hours [from, to), given together; without them, the last 30 days up to now. */
export const adminOverviewInput = z
  .strictObject({ from: instantSchema.optional(), to: instantSchema.optional() })
  .superRefine((q, ctx) => {
    if (!q.from !== !q.to) {
      ctx.addIssue({ code: "custom", message: "from and to go together", path: [q.from ? "to" : "from"] });
      return;
    }
    if (!q.from || !q.to) return;
    const span = q.to.getTime() - q.from.getTime();
    if (span <= 0) ctx.addIssue({ code: "custom", message: "to must be after from", path: ["to"] });
    else if (span > ADMIN_OVERVIEW_MAX_DAYS * DAY_MS)
      ctx.addIssue({
        code: "custom",
        message: `The range from from to to can be at most ${ADMIN_OVERVIEW_MAX_DAYS} days`,
        path: ["to"],
      });
  })
  .optional();
export type AdminOverviewInput = z.infer<typeof adminOverviewInput>;

export interface AdminOverviewOutput {
  from: Date;
  to: Date;
  totals: UsageTotals;
  /** Distinct users and anonymous visitors with any usage in the range. */
  activeUsers: number;
  activeVisitors: number;
  /** One point per UTC day of the range, zero-filled. */
  byDay: (UsageTotals & { date: string })[];
  byModel: (UsageTotals & { provider: string; model: string })[];
  /** The heaviest subjects by cost (then requests); users carry their email. */
  topSubjects: (UsageTotals & { subject: string; kind: "user" | "anon"; email: string | null })[];
}
