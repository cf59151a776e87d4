import { parseEmail, parseOptions, parseWindow } from "../args.ts";
import type { Command } from "../command.ts";
import { audit, requireUser, subjectOfUser } from "../context.ts";

const NAME = "reset-usage";

export const resetUsage: Command = {
  name: NAME,
  summary: "zero a user's usage in the current day and/or month",
  help: `Usage: npm run admin -- reset-usage --email E [--window daily|monthly]

Zeroes the usage counted against the user's quotas in the current window (both windows unless
--window is given). Requests in flight keep their reservations. The usage history
(show-usage's totals) is not touched.

  --email E    the user's e-mail address
  --window W   daily or monthly; both when omitted`,

  async parse(argv) {
    const v = parseOptions(NAME, argv, { email: { type: "string" }, window: { type: "string" } });
    const email = parseEmail(NAME, v.email);
    const window = v.window === undefined ? undefined : parseWindow(NAME, v.window);

    return async (ctx) => {
      const user = await requireUser(ctx.db, email);
      const rows = await ctx.engine.resetUsage(subjectOfUser(user), window);
      await audit(ctx, NAME, user, { email, window: window ?? "all", rows });
      ctx.print(`${email}: ${window ?? "daily and monthly"} usage reset (${rows} quota row(s)).`);
    };
  },
};
