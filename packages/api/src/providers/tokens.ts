import { createRequire } from "node:module";
import type * as Gpt4oTokenizer from "gpt-tokenizer/model/gpt-4o";
import type { ChatMessage } from "./types.ts";

// The o200k encoding is megabytes of data that takes a noticeable time to parse, and most importers
// of this module (routers, tests, tooling) never count a token. It is loaded on the first count,
// synchronously so that counting stays a plain function.
let tokenizer: typeof Gpt4oTokenizer | undefined;

function load(): typeof Gpt4oTokenizer {
  tokenizer ??= createRequire(import.meta.url)("gpt-tokenizer/model/gpt-4o") as typeof Gpt4oTokenizer;
  return tokenizer;
}

// Text that happens to spell a special token ("<|endoftext|>") is counted as the ordinary text it
// is; by default the tokenizer throws on it, which would let a user break admission with a string.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Tokens of the prompt as sent: the messages in chat format (gpt-4o's framing tokens included).
 * Exact for OpenAI models, an approximation for others (Anthropic's tokenizer usually counts more).
 */
export function countPromptTokens(messages: readonly ChatMessage[]): number {
  return load().encodeChat(messages, "gpt-4o", AS_PLAIN_TEXT).length;
}

/** Tokens of a plain text, e.g. a reply whose usage the provider did not report. */
export function countTextTokens(text: string): number {
  if (text === "") return 0;
  return load().countTokens(text, AS_PLAIN_TEXT);
}
