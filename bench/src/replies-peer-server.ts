// The peer of the replies part: how Vercel's AI chatbot serves a reply. The AI SDK's `streamText`
// on the same OpenAI-compatible provider, piped to the client as the UI message stream (SSE) while
// the provider streams, in one Node process with no database: no admission, no ledger, no record
// of the reply, and a reply that dies with the connection.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { streamText } from "ai";

const provider = createOpenAICompatible({
  name: "fake",
  baseURL: process.env.PEER_PROVIDER_URL ?? "",
  includeUsage: true,
});

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/api/chat") {
    res.writeHead(404).end();
    return;
  }
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString("utf8")));
  req.on("end", () => {
    const { content } = JSON.parse(body) as { content: string };
    const abort = new AbortController();
    res.once("close", () => abort.abort());
    const result = streamText({
      model: provider.chatModel("fake-slow"),
      messages: [{ role: "user", content }],
      maxRetries: 0,
      abortSignal: abort.signal,
    });
    void result.pipeUIMessageStreamToResponse(res);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
