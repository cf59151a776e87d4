import { expect, type Locator, type Page } from "@playwright/test";
import { E2E_ADMIN_TOKEN } from "./analytics-page.ts";

/** The chat page: sidebar, messages, composer, the usage meter and the quota feedback around it. */
export class ChatPage {
  readonly meter: Locator;
  readonly composer: Locator;
  readonly sendButton: Locator;
  readonly stopButton: Locator;
  readonly regenerateButton: Locator;
  readonly messages: Locator;
  readonly assistantReplies: Locator;
  readonly userMessages: Locator;
  readonly warning: Locator;
  readonly signUpCard: Locator;
  readonly blockedReason: Locator;
  readonly sidebar: Locator;
  readonly modelPicker: Locator;
  readonly authDialog: Locator;
  readonly accountButton: Locator;

  constructor(readonly page: Page) {
    this.meter = page.getByRole("meter");
    this.composer = page.getByRole("textbox", { name: "Message" });
    this.sendButton = page.getByRole("button", { name: "Send" });
    this.stopButton = page.getByRole("button", { name: "Stop" });
    this.regenerateButton = page.getByRole("button", { name: "Regenerate" });
    this.messages = page.getByRole("list", { name: "Messages" });
    this.assistantReplies = this.messages.locator("li[data-role=assistant]");
    this.userMessages = this.messages.locator("li[data-role=user]");
    this.warning = page.getByTestId("usage-warning");
    this.signUpCard = page.getByTestId("signup-card");
    this.blockedReason = page.getByTestId("composer-blocked");
    this.sidebar = page.getByRole("navigation", { name: "Conversations" });
    this.modelPicker = page.getByRole("combobox", { name: "Model" });
    this.authDialog = page.getByRole("dialog");
    this.accountButton = page.getByRole("button", { name: /Account menu/ });
  }

  async goto(path = "/"): Promise<void> {
    await this.page.goto(path);
    await expect(this.meter).toBeVisible();
  }

  /**
   * Types a message, sends it with Enter, and waits until the demo model's reply (which quotes the
   * message; pass `echo` when markdown changes how the quote reads) has finished streaming.
   */
  async send(text: string, echo = text): Promise<void> {
    const before = await this.assistantReplies.count();
    await this.composer.fill(text);
    await this.composer.press("Enter");
    await expect(this.assistantReplies).toHaveCount(before + 1);
    await expect(this.assistantReplies.last()).toContainText(`You said: "${echo}"`);
    await expect(this.messages.locator("li[aria-busy=true]")).toHaveCount(0);
  }

  /** The conversation id from the URL (/c/:id). */
  conversationId(): string {
    const m = /\/c\/([^/?#]+)/.exec(this.page.url());
    if (!m?.[1]) throw new Error(`not on a conversation page: ${this.page.url()}`);
    return m[1];
  }

  /**
   * Uses up `n` messages of this visitor's allowance the way a trusted service reporting usage
   * after the fact would (usage.sync with the operator token, naming the visitor from its cookie),
   * so a test need not type fifty messages. The page itself could not: sync is a service call.
   */
  async consumeMessages(n: number): Promise<void> {
    const now = new Date().toISOString();
    const records = Array.from({ length: n }, (_, i) => ({
      idempotencyKey: `e2e-${Date.now()}-${i}`,
      provider: "local-demo",
      model: "demo-1",
      inputTokens: 10,
      outputTokens: 10,
      occurredAt: now,
    }));
    const origin = new URL(this.page.url()).origin;
    const anon = (await this.page.context().cookies(origin)).find((c) => c.name === "wl_anon");
    if (!anon) throw new Error("the page has no anonymous cookie yet");
    const signed = decodeURIComponent(anon.value);
    const subject = `anon:${signed.slice(0, signed.lastIndexOf("."))}`;
    const res = await this.page.request.post("/api/trpc/usage.sync", {
      headers: { Origin: origin, authorization: `Bearer ${E2E_ADMIN_TOKEN}` },
      data: { json: { subject, records } },
    });
    expect(res.status(), await res.text()).toBe(200);
  }

  /** Used messages as the meter reports them. */
  async expectMessagesLeft(left: number, limit: number): Promise<void> {
    await expect(this.meter).toHaveAttribute("aria-valuemax", String(limit));
    await expect(this.meter).toHaveAttribute("aria-valuenow", String(limit - left));
    await expect(this.meter).toHaveAttribute("aria-valuetext", new RegExp(`^${left} of ${limit} messages left today`));
  }
}
