import os from "node:os";
import type { Db, Prisma } from "@wavelength/db";
import type { QuotaEngine, SubjectRef } from "@wavelength/api";
import type { TierName } from "@wavelength/shared";
import { CliError } from "./args.ts";

/** What a command runs against: the database, the quota engine, who is acting, where to write. */
export interface CliContext {
  db: Db;
  engine: QuotaEngine;
  /** "cli:<os user>", the audit log's actor. */
  actor: string;
  /** Standard output; commands print results here, never diagnostics. */
  print(text: string): void;
  /** Reads standard input to its end (for --password-stdin). */
  readStdin(): Promise<string>;
}

export interface CliUser {
  id: string;
  email: string;
  name: string | null;
  tier: TierName;
  role: "user" | "admin";
  timezone: string;
}

export function osActor(): string {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid still tells operators apart.
    name = `uid-${process.getuid?.() ?? "unknown"}`;
  }
  return `cli:${name}`;
}

const USER_FIELDS = { id: true, email: true, name: true, tier: true, role: true, timezone: true } as const;

export async function findUser(db: Db, email: string): Promise<CliUser | null> {
  return db.user.findUnique({ where: { email }, select: USER_FIELDS });
}

export async function requireUser(db: Db, email: string): Promise<CliUser> {
  const user = await findUser(db, email);
  if (!user) throw new CliError(`No user with email ${email}`);
  return user;
}

export function subjectOfUser(user: Pick<CliUser, "id" | "tier" | "timezone">): SubjectRef {
  return { key: `user:${user.id}`, tier: user.tier, timeZone: user.timezone };
}

/** One audit row per change, like the quota router's, with the CLI as actor. */
export async function audit(
  ctx: CliContext,
  action: string,
  user: Pick<CliUser, "id">,
  details: Prisma.InputJsonObject,
): Promise<void> {
  await ctx.db.auditLog.create({
    data: { actor: ctx.actor, action: `cli.${action}`, target: `user:${user.id}`, details },
  });
}
