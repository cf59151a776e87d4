import type { CliContext } from "./context.ts";

/** The parts of the context that exist before the database is opened. */
export type CliIo = Pick<CliContext, "print" | "readStdin">;

/** Work to do once the database is open. */
export type Run = (ctx: CliContext) => Promise<void>;

export interface Command {
  name: string;
  /** One line for the general help. */
  summary: string;
  /** The command's own help: synopsis and options. */
  help: string;
  /**
   * Validates the arguments before anything is opened (bad input changes nothing and needs no
   * database) and returns the work to do.
   */
  parse(argv: readonly string[], io: CliIo): Promise<Run>;
}
