// The demo model's long-reply mode, so that a browser test can watch a reply stream for seconds,
// stop it, reload in the middle of it, or see highlighted code, without a provider. A user message
// whose first line starts with "/demo" sets the reply, for example:
//
//   /demo words=600 delay=40 code stall=200
//
//   words=N   the reply has N words (1–4000) of plain text, in paragraphs
//   delay=MS  pause before each word (0–500 ms), instead of DEMO_TOKEN_DELAY_MS
//   code      the reply opens with a fenced TypeScript block (highlighted in the chat)
//   stall=N   after N words the model sends nothing more, as a stalled provider would
//
// The demo is offline and free, and the reply is still cut at the request's max output tokens.

export interface DemoDirective {
  words: number | null;
  delayMs: number | null;
  code: boolean;
  stallAfter: number | null;
}

const MAX_WORDS = 4_000;
const MAX_DELAY_MS = 500;

/** The directive on the first line of `message`, or null when there is none. */
export function parseDemoDirective(message: string): DemoDirective | null {
  const first = message.trimStart().split("\n", 1)[0] ?? "";
  if (!/^\/demo(\s|$)/.test(first)) return null;
  const directive: DemoDirective = { words: null, delayMs: null, code: false, stallAfter: null };
  for (const token of first.slice("/demo".length).trim().split(/\s+/)) {
    const [name, value] = token.split("=", 2) as [string, string | undefined];
    const n = value === undefined ? Number.NaN : Number(value);
    const int = Number.isInteger(n) && n >= 0 ? n : null;
    if (name === "words" && int !== null) directive.words = Math.min(Math.max(int, 1), MAX_WORDS);
    else if (name === "delay" && int !== null) directive.delayMs = Math.min(int, MAX_DELAY_MS);
    else if (name === "stall" && int !== null) directive.stallAfter = int;
    else if (name === "code") directive.code = true;
  }
  return directive;
}

const FILLER = (
  "the quick brown fox jumps over a lazy dog while every good limit keeps its promise to the " +
  "people who share one budget and each reply arrives in order with nothing lost or counted twice"
).split(" ");

const CODE_BLOCK = [
  "```typescript",
  "export function tokenBucket(capacity: number, refillPerSecond: number) {",
  "  let tokens = capacity;",
  "  let last = Date.now();",
  "  return function take(cost = 1): boolean {",
  "    const now = Date.now();",
  "    tokens = Math.min(capacity, tokens + ((now - last) / 1000) * refillPerSecond);",
  "    last = now;",
  "    if (tokens < cost) return false;",
  "    tokens -= cost;",
  "    return true;",
  "  };",
  "}",
  "```",
].join("\n");

/** `words` deterministic words in paragraphs of 40, after a code block when asked. */
export function longDemoReply(words: number, code: boolean): string {
  const paragraphs: string[] = [];
  for (let i = 0; i < words; i += 40) {
    const n = Math.min(40, words - i);
    const ws = Array.from({ length: n }, (_, k) => FILLER[(i + k) % FILLER.length]!);
    ws[0] = `${ws[0]!.charAt(0).toUpperCase()}${ws[0]!.slice(1)}`;
    paragraphs.push(`${ws.join(" ")}.`);
  }
  return [...(code ? ["Here is a token bucket in TypeScript:", CODE_BLOCK] : []), ...paragraphs].join("\n\n");
}
