// Not exported from @wavelength/api (yet); the auth module is the one owner of password hashing.
import { hashPassword } from "@wavelength/api";
import { passwordSchema } from "@wavelength/shared";
import { UsageError, parseEmail, parseOptions } from "../args.ts";
import type { Command } from "../command.ts";
import { audit, findUser, subjectOfUser } from "../context.ts";

const NAME = "create-admin";

export const createAdmin: Command = {
  name: NAME,
  summary: "create an admin user (tier pro), or promote an existing one",
  help: `Usage: npm run admin -- create-admin --email E [--password-stdin | --password P] [--name N]

Creates an admin (role admin, tier pro) with the pro tier's quotas, or promotes the user with this
e-mail to admin and pro. A new user needs a password; for an existing one a password replaces the
old one and signs the user out everywhere.

  --email E          the account's e-mail address
  --password-stdin   read the password from standard input (preferred), e.g.
                       read -rs PW && printf '%s' "$PW" | npm run admin -- create-admin --email E --password-stdin
  --password P       the password on the command line; it stays in your shell history and is
                     visible to other users in the process list, so prefer --password-stdin
  --name N           display name`,

  async parse(argv, io) {
    const v = parseOptions(NAME, argv, {
      email: { type: "string" },
      "password-stdin": { type: "boolean" },
      password: { type: "string" },
      name: { type: "string" },
    });
    const email = parseEmail(NAME, v.email);
    if (v["password-stdin"] && v.password !== undefined) {
      throw new UsageError("Give --password-stdin or --password, not both", NAME);
    }
    let password: string | undefined = v.password;
    // A pipe or heredoc ends the password with a newline that is not part of it.
    if (v["password-stdin"]) password = (await io.readStdin()).replace(/\r?\n$/, "");
    if (password !== undefined) {
      const checked = passwordSchema.safeParse(password);
      if (!checked.success) throw new UsageError(`Password: ${checked.error.issues[0]?.message ?? "invalid"}`, NAME);
    }
    const name = v.name?.trim();
    if (name !== undefined && (name.length === 0 || name.length > 80)) {
      throw new UsageError("--name must be 1 to 80 characters", NAME);
    }

    return async (ctx) => {
      const existing = await findUser(ctx.db, email);
      if (!existing && password === undefined) {
        throw new UsageError(`No user with email ${email} yet: give a password to create one`, NAME);
      }
      const passwordHash = password === undefined ? undefined : await hashPassword(password);
      const fields = {
        role: "admin",
        tier: "pro",
        ...(name ? { name } : {}),
        ...(passwordHash ? { passwordHash } : {}),
      } as const;
      const user = existing
        ? await ctx.db.user.update({ where: { id: existing.id }, data: fields })
        : await ctx.db.user.create({ data: { email, ...fields } });
      // A password set by an operator replaces one that may be compromised: end every session.
      const signedOut =
        existing && passwordHash ? (await ctx.db.session.deleteMany({ where: { userId: user.id } })).count : 0;
      await ctx.engine.init(subjectOfUser(user));
      await audit(ctx, NAME, user, {
        email,
        created: !existing,
        passwordSet: passwordHash !== undefined,
        sessionsEnded: signedOut,
        ...(existing ? { previous: { role: existing.role, tier: existing.tier } } : {}),
      });
      ctx.print(
        existing
          ? `Promoted ${email} (user:${user.id}) to admin, tier pro (was ${existing.role}, ${existing.tier})` +
              (passwordHash ? `; password replaced, ${signedOut} session(s) ended.` : ".")
          : `Created admin ${email} (user:${user.id}), tier pro.`,
      );
    };
  },
};
