// Lucia v3's storage port over our Prisma client. @lucia-auth/adapter-prisma peers Prisma ≤ 5, and
// this is all it would do.

import type { Adapter, DatabaseSession, DatabaseUser, Lucia } from "lucia";
import type { Db } from "@wavelength/db";
import type { AuthUser } from "./types.ts";

/** The user columns Lucia hands to `getUserAttributes` on every validation (one join, no second query). */
export interface DatabaseUserAttributes {
  email: string;
  name: string | null;
  tier: "anonymous" | "free" | "pro";
  role: "user" | "admin";
  timezone: string;
}

/** Our Lucia: no session attributes; users carry everything of AuthUser but the id. */
export type WavelengthLucia = Lucia<Record<never, never>, Omit<AuthUser, "id">>;

// Lucia v3 types its results through this registry.
declare module "lucia" {
  interface Register {
    Lucia: WavelengthLucia;
    DatabaseUserAttributes: DatabaseUserAttributes;
  }
}

const USER_ATTRIBUTES = { email: true, name: true, tier: true, role: true, timezone: true } as const;

function toDatabaseSession(row: { id: string; userId: string; expiresAt: Date }): DatabaseSession {
  return { id: row.id, userId: row.userId, expiresAt: row.expiresAt, attributes: {} };
}

export class PrismaLuciaAdapter implements Adapter {
  constructor(private readonly db: Db) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const row = await this.db.session.findUnique({
      where: { id: sessionId },
      select: { id: true, userId: true, expiresAt: true, user: { select: { id: true, ...USER_ATTRIBUTES } } },
    });
    if (!row) return [null, null];
    const { id, ...attributes } = row.user;
    return [toDatabaseSession(row), { id, attributes }];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.db.session.findMany({ where: { userId }, orderBy: { expiresAt: "asc" } });
    return rows.map(toDatabaseSession);
  }

  async setSession(session: DatabaseSession): Promise<void> {
    await this.db.session.create({
      data: { id: session.id, userId: session.userId, expiresAt: session.expiresAt },
    });
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    // updateMany: a session deleted meanwhile (sign-out in another tab) is not an error.
    await this.db.session.updateMany({ where: { id: sessionId }, data: { expiresAt } });
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id: sessionId } });
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.session.deleteMany({ where: { userId } });
  }

  async deleteExpiredSessions(): Promise<void> {
    // Lucia judges expiry by the wall clock (Date.now), so this does too.
    await this.db.session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  }
}
