/**
 * Bounds on what a request may carry before anything parses it deeply.
 *
 * JSON.parse is cheap per byte, but superjson walks what it parsed recursively:
 * a body nested a few thousand levels overflowed the stack ("Maximum call stack
 * size exceeded" came back as the 400's message), and 50 such bodies in
 * parallel held /api/health up for over a second. One linear scan of the raw
 * text refuses deep or sprawling input before it is parsed; then the tRPC
 * envelope is checked, so a 400 names what the caller got wrong instead of
 * what broke inside us.
 */

/** The largest body read at all (fastify answers 413 beyond it): 20 batched sends of a long message. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Real inputs nest about 7 levels (a batch of usage records with superjson's meta). */
export const MAX_JSON_DEPTH = 32;
/** Values (array elements and object members) in one body: a full usage.sync batch has about 1,100. */
export const MAX_JSON_VALUES = 20_000;

/** A refusal in the caller's terms. */
export class BadInput extends Error {
  /** Safe to show the caller (see the server's error handler). */
  readonly expose = true;
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = "BadInput";
  }
}

/** Null when `text` is within the depth and size bounds, else why not. Strings are skipped, escapes included. */
export function jsonShapeProblem(text: string, maxDepth = MAX_JSON_DEPTH, maxValues = MAX_JSON_VALUES): string | null {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return `The JSON nests deeper than ${maxDepth} levels.`;
      if (++values > maxValues) return `The JSON holds more than ${maxValues} values.`;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++values > maxValues) return `The JSON holds more than ${maxValues} values.`;
  }
  return null;
}

/** JSON text to a value, bounded first; throws BadInput (400) with a message for the caller. */
export function parseBoundedJson(text: string, what: string): unknown {
  const problem = jsonShapeProblem(text);
  if (problem) throw new BadInput(`${what}: ${problem}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadInput(`${what} is not valid JSON.`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** superjson's envelope: {"json": <input>, "meta"?: {...}}, nothing else. */
function envelopeProblem(value: unknown, where: string): string | null {
  const shape = `send ${where} as {"json": <input>}`;
  if (!isObject(value)) return `${where} must be an object: ${shape}.`;
  for (const key of Object.keys(value)) {
    if (key !== "json" && key !== "meta") return `${where} has an unexpected field "${key}": ${shape}.`;
  }
  const meta = value.meta;
  if (meta === undefined) return null;
  if (!isObject(meta)) return `${where}.meta must be an object (superjson's meta).`;
  for (const [key, v] of Object.entries(meta)) {
    if (key === "v") {
      if (typeof v !== "number") return `${where}.meta.v must be a number.`;
    } else if (key === "values" || key === "referentialEqualities") {
      if (typeof v !== "object" || v === null) return `${where}.meta.${key} must be an object or an array.`;
    } else return `${where}.meta has an unexpected field "${key}".`;
  }
  return null;
}

/**
 * Checks a tRPC input (a POST body, or the `input` query parameter of a GET)
 * before tRPC reads it: bounded, valid JSON, and superjson's envelope, one
 * per call of a batch. Throws BadInput.
 */
export function checkTrpcInput(text: string, batchSize: number | null, what: string): void {
  if (text.trim() === "") throw new BadInput(`${what} is empty: send {"json": <input>}, or nothing at all.`);
  const value = parseBoundedJson(text, what);
  if (batchSize === null) {
    const problem = envelopeProblem(value, "the input");
    if (problem) throw new BadInput(problem);
    return;
  }
  if (!isObject(value)) throw new BadInput(`A batch's input must be an object: {"0": {"json": <input>}, …}.`);
  for (const [key, entry] of Object.entries(value)) {
    if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= batchSize) {
      throw new BadInput(`A batch of ${batchSize} call(s) has no call "${key}".`);
    }
    const problem = envelopeProblem(entry, `the input of call ${key}`);
    if (problem) throw new BadInput(problem);
  }
}
