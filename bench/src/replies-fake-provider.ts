// The provider of the replies part, in a process of its own (so that its timers and writes do not
// share an event loop with the clients being timed): the OpenAI-compatible fake of the API tests,
// streaming REPLIES_WORDS words REPLIES_DELAY_MS apart ("fake-slow"), usage in the last chunk.
import { startFakeOpenAI } from "../../packages/api/test/support/fake-openai-server.ts";

const words = Number(process.env.REPLIES_WORDS ?? "600");
const delayMs = Number(process.env.REPLIES_DELAY_MS ?? "25");
const fake = await startFakeOpenAI({ words, slowChunkDelayMs: delayMs });
process.stdout.write(`${JSON.stringify({ baseURL: fake.baseURL })}\n`);
process.once("SIGTERM", () => void fake.close().finally(() => process.exit(0)));
