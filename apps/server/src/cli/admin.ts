// Operator CLI: `npm run admin -- <command> [options]`. There is no payment system, so operators
// manage tiers, overrides and usage by hand; every change is written to the audit log.
import { createServices } from "@wavelength/api";
import { existsSync } from "node:fs";
import { createDb, parseDatabaseUrl } from "@wavelength/db";
import { AppError } from "@wavelength/shared";
import { CliError, UsageError } from "./args.ts";
import type { Command, CliIo } from "./command.ts";
import { clearOverride } from "./commands/clear-override.ts";
import { createAdmin } from "./commands/create-admin.ts";
import { grantOverride } from "./commands/grant-override.ts";
import { resetUsage } from "./commands/reset-usage.ts";
import { setTier } from "./commands/set-tier.ts";
import { showUsage } from "./commands/show-usage.ts";
import { osActor } from "./context.ts";
import { cliDatabaseUrl } from "./env.ts";

const COMMANDS: readonly Command[] = [createAdmin, setTier, grantOverride, clearOverride, resetUsage, showUsage];

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: npm run admin -- <command> [options]

Operator commands for Wavelength. They work on the database of DATABASE_URL: unset, the embedded
PGlite in ./.data/pglite of the repository; postgres://… for PostgreSQL. Stop a server using the
embedded database first: PGlite can be opened by one process at a time.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}
  ${"help".padEnd(width)}  this text; "help <command>" or "<command> --help" for a command's options`;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_MISUSE = 2;

/** Runs one CLI invocation and returns its exit code; output goes through `io`. */
async function main(argv: readonly string[], io: CliIo & { error(text: string): void }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.error(generalHelp());
    return EXIT_MISUSE;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    io.print(command ? command.help : generalHelp());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.error(`Unknown command "${name}".\n\n${generalHelp()}`);
    return EXIT_MISUSE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.print(command.help);
    return EXIT_OK;
  }

  try {
    const run = await command.parse(rest, io);
    const url = cliDatabaseUrl();
    const target = parseDatabaseUrl(url);
    // Opening a missing PGlite folder would create an empty database there; say what is wrong instead.
    if (target.kind === "pglite" && target.dataDir !== "memory" && !existsSync(target.dataDir)) {
      throw new CliError(`No database at ${target.dataDir}; run "npm start" or "npm run db:migrate" first.`);
    }
    const database = await createDb(url);
    try {
      const services = createServices(database.prisma, { sql: database.sql });
      await run({ ...io, db: database.prisma, engine: services.engine, actor: osActor() });
    } finally {
      await database.close().catch(() => {});
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      const helpFor = error.command ? `help ${error.command}` : "help";
      io.error(`${error.message} (see "npm run admin -- ${helpFor}")`);
      return EXIT_MISUSE;
    }
    io.error(`Error: ${describeFailure(error)}`);
    return EXIT_FAILED;
  }
}

/** One line for the operator; stack traces help nobody at a terminal. */
function describeFailure(error: unknown): string {
  if (error instanceof CliError || error instanceof AppError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  // A database that was never migrated (fresh PGlite folder, empty PostgreSQL database).
  if (/relation "[^"]+" does not exist|does not exist in the current database/i.test(message)) {
    return `the database has no Wavelength tables; run "npm run db:migrate" (or "npm start" once) first. (${oneLine(message)})`;
  }
  return oneLine(message);
}

/** Prisma puts the cause on the last line of a multi-line message, after the failed call. */
function oneLine(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return (message.startsWith("Invalid `") ? lines.at(-1) : lines[0]) ?? "unknown error";
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(
      "--password-stdin reads a pipe, not a terminal; e.g. printf '%s' \"$PW\" | npm run admin -- …",
      "create-admin",
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

process.exitCode = await main(process.argv.slice(2), {
  print: (text) => process.stdout.write(`${text}\n`),
  error: (text) => process.stderr.write(`${text}\n`),
  readStdin,
});
