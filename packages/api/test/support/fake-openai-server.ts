// A local stand-in for an OpenAI chat-completions endpoint (and so for Ollama/vLLM), speaking the
// real SSE protocol, so provider tests go through the real AI SDK clients and fetch.
//
// The scenario is chosen per request by the model name, or by the `x-fake-scenario` header:
//   fake-usage-at-end               content, then usage in a last chunk of its own (when the
//                                   client asks with stream_options.include_usage), then [DONE]
//   fake-cached-usage               as above, reporting half the prompt as cached tokens
//   fake-no-usage                   content, never any usage
//   fake-error-before-first-token   HTTP 500 with an OpenAI-style error body
//   fake-sse-error                  HTTP 200, then an SSE error chunk before any content
//   fake-error-mid-stream           half the words, then the connection is destroyed
//   fake-slow                       like fake-usage-at-end with `slowChunkDelayMs` before each chunk
//   fake-stall                      half the words, then nothing (the connection stays open) until
//                                   the client goes away: a provider that stalled
// Any other model name behaves like fake-usage-at-end.
//
// Content is deterministic: `fakeReply(n)` ("w1 w2 … wn"), one word per chunk, each counted as one
// completion token; prompt_tokens is our tokenizer's chat count of the messages received. A
// max_tokens (or max_completion_tokens) below the word count cuts the reply with finish "length".
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { countPromptTokens } from "../../src/providers/tokens.ts";
import type { ChatMessage } from "../../src/providers/types.ts";

export type FakeScenario =
  | "fake-usage-at-end"
  | "fake-cached-usage"
  | "fake-no-usage"
  | "fake-error-before-first-token"
  | "fake-sse-error"
  | "fake-error-mid-stream"
  | "fake-slow"
  | "fake-stall";

const SCENARIOS: readonly FakeScenario[] = [
  "fake-usage-at-end",
  "fake-cached-usage",
  "fake-no-usage",
  "fake-error-before-first-token",
  "fake-sse-error",
  "fake-error-mid-stream",
  "fake-slow",
  "fake-stall",
];

export interface FakeOpenAIOptions {
  /** Words in every reply; default 12. */
  words?: number;
  /** Pause before each chunk in the fake-slow scenario; default 300 ms. */
  slowChunkDelayMs?: number;
}

/** A chat-completions request body as the server received it. */
export interface FakeRequestBody {
  model: string;
  messages: { role: string; content: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

export interface FakeOpenAIServer {
  /** Ends in /v1, as OpenAI's does. */
  baseURL: string;
  requests: FakeRequestBody[];
  /** Totals of the usage the server reported, over all requests. */
  reported: { inputTokens: number; outputTokens: number };
  /** Requests whose client went away before the server finished (an abort reached the socket). */
  disconnects: number;
  close(): Promise<void>;
}

export function fakeReply(words: number): string {
  return Array.from({ length: words }, (_, i) => `w${i + 1}`).join(" ");
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const words = options.words ?? 12;
  const slowDelayMs = options.slowChunkDelayMs ?? 300;
  const requests: FakeRequestBody[] = [];
  const reported = { inputTokens: 0, outputTokens: 0 };
  let sequence = 0;

  const state = {
    requests,
    reported,
    disconnects: 0,
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Not found", type: "invalid_request_error" } }));
      return;
    }
    const body = JSON.parse(await readBody(req)) as FakeRequestBody;
    requests.push(body);
    const header = req.headers["x-fake-scenario"];
    const scenario = SCENARIOS.find((s) => s === header) ?? SCENARIOS.find((s) => s === body.model);
    const id = `chatcmpl-fake-${++sequence}`;
    const created = 1_700_000_000;

    if (scenario === "fake-error-before-first-token") {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "The fake server failed", type: "server_error", code: null } }));
      return;
    }

    const limit = body.max_completion_tokens ?? body.max_tokens ?? Number.POSITIVE_INFINITY;
    const sentWords = Math.min(words, limit);
    const finishReason = sentWords < words ? "length" : "stop";
    const promptTokens = countPromptTokens(body.messages.map(toChatMessage));
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: sentWords,
      total_tokens: promptTokens + sentWords,
      prompt_tokens_details: {
        cached_tokens: scenario === "fake-cached-usage" ? Math.floor(promptTokens / 2) : 0,
      },
    };
    const wordList = fakeReply(sentWords).split(" ").filter(Boolean);

    if (!body.stream) {
      res.writeHead(200, { "content-type": "application/json" });
      const reportsUsage = scenario !== "fake-no-usage";
      if (reportsUsage) report(usage);
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model: body.model,
          choices: [
            { index: 0, message: { role: "assistant", content: wordList.join(" ") }, finish_reason: finishReason },
          ],
          ...(reportsUsage ? { usage } : {}),
        }),
      );
      return;
    }

    let finished = false;
    let closed = false;
    res.on("close", () => {
      closed = true;
      if (!finished) state.disconnects++;
    });
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: body.model, choices, ...extra })}\n\n`;
    const pause = () => (scenario === "fake-slow" ? delay(slowDelayMs) : Promise.resolve());

    if (scenario === "fake-sse-error") {
      res.write(`data: ${JSON.stringify({ error: { message: "The fake stream failed", type: "server_error" } })}\n\n`);
      finished = true;
      res.end();
      return;
    }

    res.write(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
    for (const [i, word] of wordList.entries()) {
      if (scenario === "fake-stall" && i === Math.floor(wordList.length / 2)) {
        // Stalled: the stream stays open, silent, until the client gives up and disconnects.
        if (!closed) await new Promise<void>((resolve) => res.once("close", () => resolve()));
        return;
      }
      if (scenario === "fake-error-mid-stream" && i === Math.floor(wordList.length / 2)) {
        // Let the words written so far reach the client first: destroy() drops unsent data.
        await new Promise<void>((resolve) => res.write("", () => resolve()));
        await delay(20);
        finished = true; // the server's doing, not a client disconnect
        res.destroy();
        return;
      }
      await pause();
      if (closed) return;
      res.write(chunk([{ index: 0, delta: { content: i === 0 ? word : ` ${word}` }, finish_reason: null }]));
    }
    await pause();
    if (closed) return;
    res.write(chunk([{ index: 0, delta: {}, finish_reason: finishReason }]));
    if (body.stream_options?.include_usage && scenario !== "fake-no-usage") {
      report(usage);
      res.write(chunk([], { usage }));
    }
    res.write("data: [DONE]\n\n");
    finished = true;
    res.end();
  }

  function report(usage: { prompt_tokens: number; completion_tokens: number }): void {
    reported.inputTokens += usage.prompt_tokens;
    reported.outputTokens += usage.completion_tokens;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    reported,
    get disconnects() {
      return state.disconnects;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function toChatMessage(message: { role: string; content: unknown }): ChatMessage {
  const role = message.role === "system" || message.role === "assistant" ? message.role : "user";
  const content =
    typeof message.content === "string"
      ? message.content
      : Array.isArray(message.content)
        ? message.content.map((part: { text?: unknown }) => (typeof part.text === "string" ? part.text : "")).join("")
        : "";
  return { role, content };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
