/**
 * A server process in miniature for the crash test: sends one chat to a slow
 * provider, prints the task id once text is streaming, and keeps going until
 * it is killed with SIGKILL.
 */
import { createDb } from "@wavelength/db";
import { createServices, subjectOf, type Identity } from "../../src/index.ts";

const [url, baseURL, userId] = process.argv.slice(2) as [string, string, string];
const db = await createDb(url);
const services = createServices(db.prisma, {
  sql: db.sql,
  providers: {
    openaiCompatible: { name: "fake", baseURL, models: ["fake-slow"] },
    demo: { enabled: false, tokenDelayMs: 0 },
  },
  chat: { flushIntervalMs: 10, heartbeatMs: 100 },
});
const identity: Identity = {
  kind: "user",
  userId,
  email: "crash@test.local",
  tier: "free",
  role: "user",
  timeZone: "UTC",
};
const sent = await services.chat.send(subjectOf(identity), [], {
  provider: "fake",
  model: "fake-slow",
  content: "Tell me a long story",
});
for (;;) {
  // Some of the reply is durable (flushed to reply_deltas), so recovery has something to charge.
  if ((await db.prisma.replyDelta.count({ where: { taskId: sent.taskId } })) > 0) break;
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`${JSON.stringify({ taskId: sent.taskId })}\n`);
await new Promise(() => {});
