import { parseEmail, parseOptions } from "../args.ts";
import type { Command } from "../command.ts";
import { audit, requireUser, subjectOfUser } from "../context.ts";
import { LIMIT_KEY_HELP, LIMIT_KEY_OPTIONS, describeKey, validateOverride } from "./override-spec.ts";

const NAME = "clear-override";

export const clearOverride: Command = {
  name: NAME,
  summary: "remove an override; the tier's limit applies again",
  help: `Usage: npm run admin -- clear-override --email E --window daily|monthly --scope general|provider|model
         [--provider P] [--model M]

Removes the operator override on one limit row; the tier's limit applies again (none, if the
tier has no such row). Usage is kept.

${LIMIT_KEY_HELP}`,

  async parse(argv) {
    const v = parseOptions(NAME, argv, LIMIT_KEY_OPTIONS);
    const email = parseEmail(NAME, v.email);
    const o = validateOverride(NAME, v, "--expires", {
      requests: null,
      tokens: null,
      costMicros: null,
      expiresAt: undefined,
    });

    return async (ctx) => {
      const user = await requireUser(ctx.db, email);
      const subject = subjectOfUser(user);
      const key = { window: o.window, scope: o.scope, provider: o.provider ?? "", model: o.model ?? "" };
      const current = (await ctx.engine.rows(subject)).find(
        (r) =>
          r.overridden &&
          r.window === key.window &&
          r.scope === key.scope &&
          r.provider === key.provider &&
          r.model === key.model,
      );
      if (!current) {
        ctx.print(`${email} has no override in force on the ${describeKey(o)}; nothing changed.`);
        return;
      }
      await ctx.engine.clearOverride(subject, key);
      await audit(ctx, NAME, user, { email, ...key });
      ctx.print(`${email}: override on the ${describeKey(o)} cleared; the tier's limit applies again.`);
    };
  },
};
