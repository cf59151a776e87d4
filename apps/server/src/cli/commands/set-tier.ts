import { parseChoice, parseEmail, parseOptions } from "../args.ts";
import type { Command } from "../command.ts";
import { audit, requireUser, subjectOfUser } from "../context.ts";

const NAME = "set-tier";
// Anonymous is what visitors without an account get, not a tier one grants.
const GRANTABLE_TIERS = ["free", "pro"] as const;

export const setTier: Command = {
  name: NAME,
  summary: "change a user's tier and re-sync their quotas",
  help: `Usage: npm run admin -- set-tier --email E --tier free|pro

Sets the user's tier and replaces their quota limits with the tier's. Usage so far in the current
day and month is kept, and so are operator overrides.

  --email E   the user's e-mail address
  --tier T    free or pro`,

  async parse(argv) {
    const v = parseOptions(NAME, argv, { email: { type: "string" }, tier: { type: "string" } });
    const email = parseEmail(NAME, v.email);
    const tier = parseChoice(NAME, "tier", v.tier, GRANTABLE_TIERS);

    return async (ctx) => {
      const user = await requireUser(ctx.db, email);
      if (user.tier !== tier) await ctx.db.user.update({ where: { id: user.id }, data: { tier } });
      // Also when the tier is unchanged: re-syncing repairs rows that drifted from the tier table.
      await ctx.engine.init(subjectOfUser({ ...user, tier }));
      await audit(ctx, NAME, user, { email, from: user.tier, to: tier });
      ctx.print(
        user.tier === tier
          ? `${email} is already on tier ${tier}; quotas re-synced.`
          : `${email}: tier ${user.tier} → ${tier}; quotas re-synced, usage so far kept.`,
      );
    };
  },
};
