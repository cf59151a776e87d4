import { tierRowSpecs } from "@wavelength/api";
import { dollarsToMicros } from "@wavelength/shared";
import { UsageError, parseDuration, parseEmail, parseInstant, parseLimit, parseOptions } from "../args.ts";
import type { Command } from "../command.ts";
import { audit, requireUser, subjectOfUser } from "../context.ts";
import { formatLimits, localTime } from "../format.ts";
import { LIMIT_KEY_HELP, LIMIT_KEY_OPTIONS, describeKey, validateOverride } from "./override-spec.ts";

const NAME = "grant-override";

export const grantOverride: Command = {
  name: NAME,
  summary: "override one of a user's limits, for good or until a time",
  help: `Usage: npm run admin -- grant-override --email E --window daily|monthly --scope general|provider|model
         [--provider P] [--model M] [--requests N|unlimited] [--tokens N|unlimited]
         [--cost-usd X|unlimited] [--expires ISO | --for DURATION]

Replaces the tier's limit on one row (window, scope, provider, model) with an operator override,
or adds a limit the tier does not have. A dimension left out keeps the tier's value for that row
(unlimited if the tier has no such row). Granting again replaces the previous override. Without
--expires or --for the override holds until clear-override.

${LIMIT_KEY_HELP}
  --requests N   requests in the window, or "unlimited"
  --tokens N     tokens in the window, or "unlimited"
  --cost-usd X   cost in US dollars (e.g. 12.50), or "unlimited"
  --expires ISO  end of the override, an ISO 8601 time with zone, e.g. 2026-12-31T23:59:59Z
  --for D        end of the override from now: 90m, 12h, 7d or 2w`,

  async parse(argv) {
    const v = parseOptions(NAME, argv, {
      ...LIMIT_KEY_OPTIONS,
      requests: { type: "string" },
      tokens: { type: "string" },
      "cost-usd": { type: "string" },
      expires: { type: "string" },
      for: { type: "string" },
    });
    const email = parseEmail(NAME, v.email);
    const given = {
      requests: v.requests === undefined ? undefined : parseLimit(NAME, "requests", v.requests),
      tokens: v.tokens === undefined ? undefined : parseLimit(NAME, "tokens", v.tokens),
      costMicros: v["cost-usd"] === undefined ? undefined : toMicros(parseLimit(NAME, "cost-usd", v["cost-usd"])),
    };
    if (Object.values(given).every((x) => x === undefined)) {
      throw new UsageError("Give at least one of --requests, --tokens, --cost-usd", NAME);
    }
    if (v.expires !== undefined && v.for !== undefined) throw new UsageError("Give --expires or --for, not both", NAME);
    const expiresAt =
      v.for !== undefined
        ? new Date(Date.now() + parseDuration(NAME, "for", v.for))
        : v.expires !== undefined
          ? parseInstant(NAME, "expires", v.expires)
          : undefined;
    // Omitted dimensions are validated as unlimited here and filled from the tier once the user is known.
    const o = validateOverride(NAME, v, v.for !== undefined ? "--for" : "--expires", {
      requests: given.requests ?? null,
      tokens: given.tokens ?? null,
      costMicros: given.costMicros ?? null,
      expiresAt,
    });

    return async (ctx) => {
      const user = await requireUser(ctx.db, email);
      const subject = subjectOfUser(user);
      const key = { window: o.window, scope: o.scope, provider: o.provider ?? "", model: o.model ?? "" };
      const tierRow = tierRowSpecs(user.tier).find(
        (s) => s.window === key.window && s.scope === key.scope && s.provider === key.provider && s.model === key.model,
      );
      const spec = {
        ...key,
        requests: given.requests !== undefined ? given.requests : (tierRow?.requests ?? null),
        tokens: given.tokens !== undefined ? given.tokens : (tierRow?.tokens ?? null),
        costMicros: given.costMicros !== undefined ? given.costMicros : (tierRow?.costMicros ?? null),
      };
      const until = o.expiresAt ?? null;
      // The user's other rows must exist too, or the first admission would see only this one.
      await ctx.engine.init(subject);
      await ctx.engine.setOverride(subject, spec, until);
      await audit(ctx, NAME, user, {
        email,
        ...spec,
        expiresAt: until?.toISOString() ?? null,
      });
      ctx.print(
        `${email}: ${describeKey(o)} overridden: ${formatLimits(spec)}, ` +
          (until ? `until ${localTime(until, user.timezone)} ${user.timezone}.` : "until cleared."),
      );
    };
  },
};

function toMicros(dollars: number | null): number | null {
  if (dollars === null) return null;
  try {
    return dollarsToMicros(dollars);
  } catch (error) {
    throw new UsageError(`--cost-usd: ${error instanceof Error ? error.message : String(error)}`, NAME);
  }
}
