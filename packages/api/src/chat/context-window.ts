import type { ChatMessage } from "../providers/index.ts";
import { countPromptTokens } from "../providers/index.ts";

/**
 * The messages sent to the model: the newest history that fits the context
 * window beside the reply's output budget, always including the new message.
 */
export function fitContext(
  history: readonly ChatMessage[],
  next: ChatMessage,
  contextWindow: number,
  maxOutputTokens: number,
): { messages: ChatMessage[]; promptTokens: number } {
  const budget = contextWindow - maxOutputTokens;
  let messages = [next];
  let promptTokens = countPromptTokens(messages);
  for (let i = history.length - 1; i >= 0; i--) {
    const candidate = [history[i]!, ...messages];
    const tokens = countPromptTokens(candidate);
    if (tokens > budget) break;
    messages = candidate;
    promptTokens = tokens;
  }
  return { messages, promptTokens };
}
