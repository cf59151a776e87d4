import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { emailSchema, windowTypeSchema, type WindowType } from "@wavelength/shared";

/** The operator typed something the CLI cannot run: exit code 2, with a pointer to the help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at; undefined for the general help. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command failed while running (unknown user, database refused): exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs in strict mode, its errors turned into UsageErrors naming the command. */
export function parseOptions<T extends Options>(command: string, argv: readonly string[], options: T) {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`, command);
    return values;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes and messages written for users,
    // some over several lines.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split("\n").join(" "), command);
  }
}

export function required(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value.trim() === "") throw new UsageError(`--${name} is required`, command);
  return value;
}

export function parseEmail(command: string, value: string | undefined): string {
  const parsed = emailSchema.safeParse(required(command, "email", value));
  if (!parsed.success) throw new UsageError(`--email: "${value}" is not an e-mail address`, command);
  return parsed.data;
}

export function parseChoice<const C extends readonly string[]>(
  command: string,
  name: string,
  value: string | undefined,
  choices: C,
): C[number] {
  const v = required(command, name, value);
  const isChoice = (x: string): x is C[number] => (choices as readonly string[]).includes(x);
  if (!isChoice(v)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}; got "${v}"`, command);
  return v;
}

export function parseWindow(command: string, value: string | undefined): WindowType {
  return parseChoice(command, "window", value, windowTypeSchema.options);
}

/**
 * A limit as typed: "unlimited" is null; otherwise the number as written, negative and fractional
 * values included, so that the shared schema rejects them with its own message.
 */
export function parseLimit(command: string, name: string, value: string): number | null {
  const v = value.trim();
  if (v.toLowerCase() === "unlimited") return null;
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number or "unlimited"; got "${value}"`, command);
  return n;
}

const DURATION_UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** "90m", "12h", "7d", "2w" → milliseconds. */
export function parseDuration(command: string, name: string, value: string): number {
  const m = /^(\d+)([mhdw])$/.exec(value.trim());
  const amount = m ? Number(m[1]) : 0;
  if (!m || amount <= 0) {
    throw new UsageError(`--${name} must be a positive duration such as 90m, 12h, 7d or 2w; got "${value}"`, command);
  }
  return amount * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS];
}

/** An ISO 8601 time with a zone ("2026-12-31T23:59:59Z", "2026-12-31T23:59:59+01:00"). */
export function parseInstant(command: string, name: string, value: string): Date {
  const v = value.trim();
  const parsed = z.iso.datetime({ offset: true }).safeParse(v);
  if (!parsed.success) {
    throw new UsageError(
      `--${name} must be an ISO 8601 time with a zone, e.g. 2026-12-31T23:59:59Z; got "${value}"`,
      command,
    );
  }
  return new Date(parsed.data);
}
