import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { profileUsage, subjectOf, type Context } from "@wavelength/api";
import { profileUsageInput } from "@wavelength/shared";

const exportQuery = z.object({
  format: z.enum(["csv", "json"]).default("csv"),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  granularity: z.enum(["hour", "day"]).default("day"),
  groupBy: z.enum(["none", "provider", "model"]).default("none"),
});

const COLUMNS = ["bucket_start", "group", "requests", "input_tokens", "output_tokens", "cost_usd"] as const;

/**
 * A cell as a spreadsheet must not execute it: text that starts like a
 * formula gets a leading apostrophe (OWASP CSV injection), and quotes are doubled.
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * GET /api/usage/export?format=csv|json&from&to&granularity&groupBy: exactly
 * the series the analytics page shows for the same filters, for the caller only.
 */
export function registerExportRoute(
  app: FastifyInstance,
  contextFor: (req: FastifyRequest, res: FastifyReply) => Promise<Context>,
): void {
  app.get("/api/usage/export", async (req, reply) => {
    const parsed = exportQuery.safeParse(req.query);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join(".") || "(query)"}: ${i.message}`);
      return reply.code(400).send({ error: { code: "BAD_REQUEST", message: fields.join("; ") } });
    }
    const q = parsed.data;
    // The same rules as profile.usage (range order and length, hourly span).
    const input = profileUsageInput.safeParse({
      from: new Date(q.from),
      to: new Date(q.to),
      granularity: q.granularity,
      groupBy: q.groupBy,
    });
    if (!input.success) {
      const fields = input.error.issues.map((i) => `${i.path.join(".") || "(query)"}: ${i.message}`);
      return reply.code(400).send({ error: { code: "BAD_REQUEST", message: fields.join("; ") } });
    }
    const ctx = await contextFor(req, reply);
    const subject = subjectOf(ctx.identity);
    const data = await profileUsage(ctx.services.db, subject.key, subject.timeZone, input.data);
    const rows = data.series.map((p) => ({
      bucket_start: p.at.toISOString(),
      group: p.group ?? "",
      requests: p.requests,
      input_tokens: p.inputTokens,
      output_tokens: p.outputTokens,
      cost_usd: (p.costMicros / 1_000_000).toFixed(6),
    }));
    const name = `wavelength-usage-${q.from.slice(0, 10)}-${q.to.slice(0, 10)}.${q.format}`;
    void reply.header("content-disposition", `attachment; filename="${name}"`).header("cache-control", "no-store");
    if (q.format === "json") {
      return reply.type("application/json").send({
        subject: subject.key,
        timeZone: subject.timeZone,
        from: q.from,
        to: q.to,
        granularity: q.granularity,
        groupBy: q.groupBy,
        totals: { ...data.totals, costUsd: (data.totals.costMicros / 1_000_000).toFixed(6) },
        // Usage of each API key in the range (the rest came from the chat page).
        byKey: data.byKey.map((k) => ({ ...k, costUsd: (k.costMicros / 1_000_000).toFixed(6) })),
        rows,
      });
    }
    const lines = [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(","))];
    return reply.type("text/csv; charset=utf-8").send(`${lines.join("\r\n")}\r\n`);
  });
}
