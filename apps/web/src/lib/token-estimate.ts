/**
 * A cheap prompt-token estimate for the advisory pre-send check: about four characters a token
 * for English text. Shipping a real tokenizer would add megabytes to the page; the server counts
 * the prompt exactly with gpt-tokenizer when the message is sent, and only that count is charged.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
