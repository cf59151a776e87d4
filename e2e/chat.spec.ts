import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ChatPage } from "./pages/chat-page.ts";

test.use({ timezoneId: "Europe/Berlin" });

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

test("chat renders markdown replies, in light and dark, with no serious accessibility violations", async ({
  page,
}, testInfo) => {
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  const chat = new ChatPage(page);
  await chat.goto();
  await expect(chat.modelPicker).toHaveValue("local-demo/demo-1");

  await chat.send("Please make this **bold** and show `inline code`", "Please make this bold and show inline code");
  const reply = chat.assistantReplies.last();
  await expect(reply.locator("strong")).toHaveText("bold");
  await expect(reply.locator("code")).toHaveText("inline code");

  await page.getByRole("combobox", { name: "Theme" }).selectOption("light");
  await expect(page.locator("html")).not.toHaveClass(/dark/);
  await snap(page, testInfo, "chat-light");
  await expectNoSeriousA11yViolations(page);

  await page.getByRole("combobox", { name: "Theme" }).selectOption("dark");
  await expect(page.locator("html")).toHaveClass(/dark/);
  await snap(page, testInfo, "chat-dark");
  await expectNoSeriousA11yViolations(page);

  // The choice survives a reload and is applied before the app starts.
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expect(page.getByRole("combobox", { name: "Theme" })).toHaveValue("dark");

  expect(errors).toEqual([]);
});

test("Enter sends, Shift+Enter adds a line, Regenerate asks again", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();

  await chat.composer.fill("first line");
  await chat.composer.press("Shift+Enter");
  await chat.composer.pressSequentially("second line");
  await expect(chat.composer).toHaveValue("first line\nsecond line");
  await expect(chat.userMessages).toHaveCount(0);

  await chat.composer.press("Enter");
  await expect(chat.assistantReplies).toHaveCount(1);
  await expect(chat.assistantReplies.first()).toContainText('You said: "first line second line"');
  await expect(chat.composer).toHaveValue("");
  await expect(chat.composer).toBeFocused();
  await expect(chat.messages.locator("li[aria-busy=true]")).toHaveCount(0);

  await page.getByRole("button", { name: "Regenerate" }).click();
  await expect(chat.assistantReplies).toHaveCount(2);
  await expect(chat.userMessages).toHaveCount(2);
  await expect(chat.assistantReplies.last()).toContainText("this conversation has 3 messages");
  await chat.expectMessagesLeft(48, 50);
});

test("conversations are listed by date and can be renamed, opened and deleted", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.send("Alpha conversation");
  const alphaUrl = page.url();
  await page.getByRole("button", { name: "New chat" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(chat.messages).toHaveCount(0);
  await chat.send("Beta conversation");

  const today = chat.sidebar.getByRole("region", { name: "Today" });
  await expect(today.getByRole("link")).toHaveText(["Beta conversation", "Alpha conversation"]);

  // Rename with the keyboard.
  await chat.sidebar.getByRole("button", { name: "Rename “Alpha conversation”" }).click();
  const title = chat.sidebar.getByRole("textbox", { name: "New title" });
  await expect(title).toBeFocused();
  await title.fill("Renamed alpha");
  await title.press("Enter");
  await expect(today.getByRole("link", { name: "Renamed alpha" })).toBeVisible();

  await today.getByRole("link", { name: "Renamed alpha" }).click();
  await expect(page).toHaveURL(alphaUrl);
  await expect(page.getByTestId("conversation-title")).toHaveText("Renamed alpha");
  await expect(chat.userMessages).toHaveCount(1);
  await expect(chat.userMessages).toContainText("Alpha conversation");

  // Delete the open conversation: back to a new chat.
  await chat.sidebar.getByRole("button", { name: "Delete “Renamed alpha”" }).click();
  await chat.sidebar
    .getByRole("group", { name: "Delete “Renamed alpha”?" })
    .getByRole("button", { name: "Delete" })
    .click();
  await expect(page).toHaveURL(/\/$/);
  await expect(today.getByRole("link")).toHaveText(["Beta conversation"]);
});

test.describe("on a 375 px phone", () => {
  test.use({ viewport: { width: 375, height: 740 } });

  test("the sidebar is a drawer and the meter stays visible", async ({ page }, testInfo) => {
    const chat = new ChatPage(page);
    await chat.goto();
    await chat.send("Hello from a phone");
    await expect(chat.meter).toBeInViewport();
    await expect(chat.sidebar).toBeHidden();

    const noHorizontalScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(noHorizontalScroll).toBe(true);
    await snap(page, testInfo, "chat-mobile");

    await page.getByRole("button", { name: "Conversations" }).click();
    await expect(chat.sidebar).toBeVisible();
    await snap(page, testInfo, "chat-mobile-drawer");
    await page.keyboard.press("Escape");
    await expect(chat.sidebar).toBeHidden();

    await page.getByRole("button", { name: "Conversations" }).click();
    await chat.sidebar.getByRole("link", { name: "Hello from a phone" }).click();
    await expect(chat.sidebar).toBeHidden();
    await expect(chat.meter).toBeInViewport();
  });
});
