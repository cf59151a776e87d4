import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@wavelength/db";
import { verifyPassword } from "@wavelength/api";
import { freshPglite, type TestDatabase } from "../../../packages/api/test/support/databases.ts";
import { REPO_ROOT } from "../../../packages/api/test/support/migrate.ts";

const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");
const ADMIN = "apps/server/src/cli/admin.ts";
const EMAIL = "ada@example.com";
const ACTOR = `cli:${os.userInfo().username}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("operator CLI (npm run admin)", () => {
  let target: TestDatabase;

  beforeAll(() => {
    target = freshPglite();
  });
  afterAll(async () => {
    await target.drop();
  });

  /** Runs the real CLI in a child process, as an operator would. */
  function cli(args: readonly string[], stdin = ""): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(TSX, [ADMIN, ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: target.url },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  /** Opens the database between CLI runs: PGlite is one process at a time. */
  async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await target.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  const userRow = (db: Database) => db.prisma.user.findUniqueOrThrow({ where: { email: EMAIL } });
  const quotaRow = (db: Database, userId: string, window: "daily" | "monthly") =>
    db.prisma.userQuotaLimit.findUniqueOrThrow({
      where: {
        subject_windowType_scope_provider_model: {
          subject: `user:${userId}`,
          windowType: window,
          scope: "general",
          provider: "",
          model: "",
        },
      },
    });

  /** Everything a command could change, to show that a refused one changed nothing. */
  const snapshot = () =>
    withDb(async (db) => ({
      users: await db.prisma.user.findMany({ orderBy: { email: "asc" } }),
      quotas: await db.prisma.userQuotaLimit.findMany({ orderBy: { id: "asc" } }),
      audits: await db.prisma.auditLog.count(),
    }));

  it("prints usage for help (exit 0) and for no or an unknown command (exit 2)", async () => {
    const help = await cli(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("grant-override");
    const commandHelp = await cli(["create-admin", "--help"]);
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toMatch(/--password .*shell history/s);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: npm run admin");
    const unknown = await cli(["make-coffee"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "make-coffee"');
  });

  it("create-admin takes the password from stdin, hashes it and gives the pro tier's quotas", async () => {
    const r = await cli(
      ["create-admin", "--email", " Ada@Example.com", "--password-stdin", "--name", "Ada"],
      "correct horse battery\n",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Created admin ${EMAIL}`);

    await withDb(async (db) => {
      const user = await userRow(db);
      expect(user).toMatchObject({ role: "admin", tier: "pro", name: "Ada" });
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
      expect(await verifyPassword(user.passwordHash!, "correct horse battery")).toBe(true);
      expect((await quotaRow(db, user.id, "daily")).requestLimit).toBe(5_000);
      const [entry] = await db.prisma.auditLog.findMany({ where: { action: "cli.create-admin" } });
      expect(entry).toMatchObject({ actor: ACTOR, target: `user:${user.id}` });
      expect(JSON.stringify(entry?.details)).not.toContain("horse");
    });
  });

  it("set-tier changes the tier and re-syncs the limits, keeping today's usage", async () => {
    const userId = await withDb(async (db) => {
      const user = await userRow(db);
      await db.prisma.userQuotaLimit.updateMany({
        where: { subject: `user:${user.id}` },
        data: { requestsUsed: 7 },
      });
      return user.id;
    });

    const r = await cli(["set-tier", "--email", EMAIL, "--tier", "free"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pro → free");

    await withDb(async (db) => {
      expect((await userRow(db)).tier).toBe("free");
      const daily = await quotaRow(db, userId, "daily");
      expect(daily).toMatchObject({ requestLimit: 500, requestsUsed: 7 });
      const entry = await db.prisma.auditLog.findFirst({ where: { action: "cli.set-tier" } });
      expect(entry).toMatchObject({ actor: ACTOR, target: `user:${userId}`, details: { from: "pro", to: "free" } });
    });
  });

  it("grant-override sets limits with an expiry; show-usage --json reflects tier, overrides and totals", async () => {
    const before = Date.now();
    const general = await cli([
      "grant-override",
      "--email",
      EMAIL,
      "--window",
      "daily",
      "--scope",
      "general",
      "--requests",
      "42",
      "--cost-usd",
      "2.5",
      "--for",
      "7d",
    ]);
    expect(general.stderr).toBe("");
    expect(general.code).toBe(0);
    const model = await cli([
      "grant-override",
      "--email",
      EMAIL,
      "--window=monthly",
      "--scope=model",
      "--provider=openai",
      "--model=gpt-4o",
      "--tokens=unlimited",
      "--requests=3",
      "--expires=2099-01-01T00:00:00Z",
    ]);
    expect(model.code).toBe(0);

    // One settled hour of usage in the ledger's hourly aggregate, now.
    await withDb(async (db) => {
      const user = await userRow(db);
      const now = new Date();
      await db.prisma.usageRecord.create({
        data: {
          subject: `user:${user.id}`,
          provider: "openai",
          model: "gpt-4o",
          date: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())),
          hour: now.getUTCHours(),
          requestCount: 2,
          inputTokens: 300n,
          outputTokens: 100n,
          costMicros: 1_234n,
        },
      });
    });

    const show = await cli(["show-usage", "--email", EMAIL, "--json"]);
    expect(show.code).toBe(0);
    const out = JSON.parse(show.stdout) as { user: unknown; quotas: Record<string, unknown>[]; totals: unknown };
    expect(out.user).toMatchObject({ email: EMAIL, tier: "free", role: "admin", timeZone: "UTC" });
    const find = (window: string, scope: string, dimension: string) =>
      out.quotas.find((q) => q.window === window && q.scope === scope && q.dimension === dimension);

    const requests = find("daily", "general", "requests");
    expect(requests).toMatchObject({ limit: 42, used: 7, percent: 16.6, source: "override" });
    const expiresAt = Date.parse(String(requests?.overrideExpiresAt));
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    expect(expiresAt).toBeLessThan(Date.now() + 7 * 86_400_000);
    expect(find("daily", "general", "costMicros")).toMatchObject({ limit: 2_500_000, source: "override" });
    // Left out of the grant: the free tier's value.
    expect(find("daily", "general", "tokens")).toMatchObject({ limit: 100_000, source: "override" });
    expect(find("monthly", "model", "requests")).toMatchObject({
      provider: "openai",
      model: "gpt-4o",
      limit: 3,
      overrideExpiresAt: "2099-01-01T00:00:00.000Z",
    });
    expect(find("monthly", "model", "tokens")).toMatchObject({ limit: null, source: "override" });
    expect(find("monthly", "general", "requests")).toMatchObject({ limit: 5_000, source: "tier" });
    expect(requests?.resetsAtLocal).toMatch(/^\d{4}-\d{2}-\d{2} 00:00$/);
    const usage = { requests: 2, inputTokens: 300, outputTokens: 100, costMicros: 1_234 };
    expect(out.totals).toEqual({ today: usage, month: usage });

    const table = await cli(["show-usage", "--email", EMAIL]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("tier free, role admin, time zone UTC");
    expect(table.stdout).toMatch(/daily\s+general\s+-\s+requests\s+7\s+42\s+16\.6%/);

    await withDb(async (db) => {
      const entries = await db.prisma.auditLog.findMany({
        where: { action: "cli.grant-override" },
        orderBy: { createdAt: "asc" },
      });
      expect(entries.map((e) => e.details)).toMatchObject([
        { window: "daily", scope: "general", requests: 42, tokens: 100_000, costMicros: 2_500_000 },
        {
          window: "monthly",
          scope: "model",
          provider: "openai",
          model: "gpt-4o",
          expiresAt: "2099-01-01T00:00:00.000Z",
        },
      ]);
    });
  });

  it("reset-usage zeroes one window's usage and clear-override restores the tier's limit", async () => {
    const reset = await cli(["reset-usage", "--email", EMAIL, "--window", "daily"]);
    expect(reset.code).toBe(0);
    const clear = await cli(["clear-override", "--email", EMAIL, "--window", "daily", "--scope", "general"]);
    expect(clear.code).toBe(0);

    await withDb(async (db) => {
      const user = await userRow(db);
      expect(await quotaRow(db, user.id, "daily")).toMatchObject({
        requestsUsed: 0,
        source: "tier",
        requestLimit: 500,
      });
      expect((await quotaRow(db, user.id, "monthly")).requestsUsed).toBe(7);
      const actions = await db.prisma.auditLog.findMany({ orderBy: { createdAt: "asc" } });
      expect(actions.map((a) => a.action)).toEqual([
        "cli.create-admin",
        "cli.set-tier",
        "cli.grant-override",
        "cli.grant-override",
        "cli.reset-usage",
        "cli.clear-override",
      ]);
      expect(new Set(actions.map((a) => a.actor))).toEqual(new Set([ACTOR]));
      expect(actions.at(-2)?.details).toMatchObject({ window: "daily", rows: 3 });
    });
  });

  it.each([
    ["an unknown tier", ["set-tier", "--email", EMAIL, "--tier", "enterprise"], 2, "--tier must be one of free, pro"],
    [
      "negative requests",
      ["grant-override", "--email", EMAIL, "--window", "daily", "--scope", "general", "--requests=-5"],
      2,
      "--requests: Too small",
    ],
    [
      "a provider scope without a provider",
      ["grant-override", "--email", EMAIL, "--window", "daily", "--scope", "provider", "--requests", "5"],
      2,
      "--provider: A provider-scoped limit needs a provider",
    ],
    [
      "an expiry in the past",
      [
        "grant-override",
        "--email",
        EMAIL,
        "--window=daily",
        "--scope=general",
        "--tokens=5",
        "--expires=2001-01-01T00:00:00Z",
      ],
      2,
      "--expires: expiresAt must be in the future",
    ],
    [
      "an expiry without a zone",
      ["grant-override", "--email", EMAIL, "--window=daily", "--scope=general", "--tokens=5", "--expires=2099-01-01"],
      2,
      "--expires must be an ISO 8601 time with a zone",
    ],
    [
      "an unknown email (set-tier)",
      ["set-tier", "--email", "nobody@example.com", "--tier", "pro"],
      1,
      "No user with email nobody@example.com",
    ],
    [
      "an unknown email (reset-usage)",
      ["reset-usage", "--email", "nobody@example.com"],
      1,
      "No user with email nobody@example.com",
    ],
    [
      "a short password",
      ["create-admin", "--email", "bob@example.com", "--password", "short"],
      2,
      "Password: Use at least 8 characters",
    ],
    [
      "a new admin without a password",
      ["create-admin", "--email", "bob@example.com"],
      2,
      "give a password to create one",
    ],
  ] as const)("refuses %s with a clear one-line message, changing nothing", async (_label, args, code, message) => {
    const before = await snapshot();
    const r = await cli(args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(await snapshot()).toEqual(before);
  });
});
