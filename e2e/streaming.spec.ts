import { expect, test, type Locator } from "@playwright/test";
import { ChatPage } from "./pages/chat-page.ts";

// Long and slow replies come from the demo model's "/demo" directive (words, delay per word, a code
// block, a stall), so these tests watch a reply stream for seconds without a provider.

/** Words of the reply's text (not the screen-reader label or the stop note beside it). */
const words = async (reply: Locator) =>
  (await reply.locator(".prose-chat, p.whitespace-pre-wrap").first().innerText()).trim().split(/\s+/).length;

test("Stop ends a long reply, charges and keeps what it wrote, and marks it stopped", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.composer.fill("/demo words=800 delay=40");
  await chat.composer.press("Enter");
  const reply = chat.assistantReplies.last();
  await expect(reply).toContainText("The quick brown fox");
  // While it runs: Stop instead of Send, no Regenerate that would start a second paid reply.
  await expect(chat.stopButton).toBeVisible();
  await expect(chat.regenerateButton).toBeHidden();
  await chat.stopButton.click();
  await expect(chat.sendButton).toBeVisible();
  await expect(reply.getByTestId("reply-stopped")).toHaveText("Stopped");
  expect(await words(reply)).toBeLessThan(800);
  await expect(chat.regenerateButton).toBeVisible();
  // The stopped reply is the saved one: a reload shows the same text and the same mark.
  const text = await reply.innerText();
  await page.reload();
  await expect(chat.assistantReplies.last()).toHaveText(text);
  await chat.expectMessagesLeft(49, 50);
});

test("a reload in the middle of a reply picks it up and keeps streaming to the end", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.composer.fill("/demo words=300 delay=30");
  await chat.composer.press("Enter");
  await expect(chat.assistantReplies.last()).toContainText("The quick brown fox");
  await expect(page).toHaveURL(/\/c\//);

  await page.reload();
  const reply = chat.assistantReplies.last();
  await expect(reply).toContainText("The quick brown fox");
  await expect(chat.stopButton).toBeVisible();
  await expect(chat.regenerateButton).toBeHidden();
  const seen = await words(reply);
  expect(seen).toBeLessThan(300);
  // It keeps growing after the reload, up to the whole reply.
  await expect.poll(() => words(reply)).toBeGreaterThan(seen);
  await expect(chat.messages.locator("li[aria-busy=true]")).toHaveCount(0, { timeout: 20_000 });
  expect(await words(reply)).toBe(300);
  await expect(chat.regenerateButton).toBeVisible();
  await expect(reply.getByTestId("reply-stopped")).toHaveCount(0);
});

test("leaving a conversation mid-reply and coming back shows the reply still streaming", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.composer.fill("/demo words=300 delay=30");
  await chat.composer.press("Enter");
  await expect(chat.assistantReplies.last()).toContainText("The quick brown fox");
  const conversation = page.url();

  await page.getByRole("button", { name: "New chat" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(chat.stopButton).toBeHidden();

  await chat.sidebar.getByRole("link", { name: "/demo words=300 delay=30" }).click();
  await expect(page).toHaveURL(conversation);
  const reply = chat.assistantReplies.last();
  await expect(chat.stopButton).toBeVisible();
  await expect(chat.regenerateButton).toBeHidden();
  await expect(reply).toContainText("The quick brown fox");
  await expect(chat.messages.locator("li[aria-busy=true]")).toHaveCount(0, { timeout: 20_000 });
  expect(await words(reply)).toBe(300);
  await expect(chat.userMessages).toHaveCount(1);
});

test("code in a reply is highlighted, also while it streams", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.composer.fill("/demo words=200 delay=15 code");
  await chat.composer.press("Enter");
  const reply = chat.assistantReplies.last();
  const code = reply.locator("pre code.hljs.language-typescript");
  await expect(code).toContainText("export function tokenBucket");
  await expect(code.locator(".hljs-keyword").first()).toHaveText("export");
  await expect(reply.getByRole("button", { name: "Copy typescript code" })).toBeVisible();
  await expect(chat.messages.locator("li[aria-busy=true]")).toHaveCount(0, { timeout: 20_000 });
  await expect(code.locator(".hljs-keyword").first()).toHaveText("export");
});

test("a model that stalls is given up on: the reply is kept, marked, and the composer comes back", async ({ page }) => {
  // The e2e server runs with CHAT_IDLE_TIMEOUT_MS=3000 (playwright.config.ts).
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.composer.fill("/demo words=100 delay=10 stall=12");
  await chat.composer.press("Enter");
  const reply = chat.assistantReplies.last();
  await expect(reply).toContainText("The quick brown fox");
  await expect(chat.stopButton).toBeVisible();
  await expect(reply.getByTestId("reply-stopped")).toHaveText("Cut off: the model stopped responding", {
    timeout: 15_000,
  });
  expect(await words(reply)).toBe(12);
  await expect(page.getByRole("alert")).toContainText("The model stopped responding");
  await expect(chat.sendButton).toBeVisible();
  await chat.expectMessagesLeft(49, 50);
});
