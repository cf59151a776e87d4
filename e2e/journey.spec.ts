import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ChatPage } from "./pages/chat-page.ts";

test.use({ timezoneId: "Europe/Berlin" });

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

/** Console errors and uncaught exceptions, which the app must never produce. */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

test("an anonymous visitor counts down to the limit, signs up, and keeps the conversation and usage", async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  const errors = watchConsole(page);
  const chat = new ChatPage(page);
  await chat.goto();
  await chat.expectMessagesLeft(50, 50);
  await expect(chat.meter).toHaveAttribute("aria-valuetext", /resets at (\d{4}-\d{2}-\d{2} )?00:00 Europe\/Berlin$/);

  // Real sends through the UI: the meter counts down with each one.
  await chat.send("Hello Wavelength");
  await expect(page).toHaveURL(/\/c\/[A-Za-z0-9_-]+$/);
  const conversationId = chat.conversationId();
  await chat.expectMessagesLeft(49, 50);
  await chat.send("What is a token bucket?");
  await chat.expectMessagesLeft(48, 50);
  await expect(chat.sidebar.getByRole("link", { name: "Hello Wavelength" })).toBeVisible();

  // Most of the allowance is used up through the API so the test does not type fifty messages.
  await chat.consumeMessages(36);
  await page.reload();
  await chat.expectMessagesLeft(12, 50);
  await expect(chat.signUpCard).toHaveCount(0);
  await expect(chat.warning).toHaveCount(0);

  await chat.send("Message thirty-nine");
  await chat.expectMessagesLeft(11, 50);
  await expect(chat.signUpCard).toHaveCount(0);

  // 40 of 50: the 80 % banner (a status, naming the limit) and the sign-up card.
  await chat.send("Message forty");
  await chat.expectMessagesLeft(10, 50);
  await expect(chat.signUpCard).toBeVisible();
  await expect(chat.signUpCard).toContainText("40 of 50 free messages used today");
  const status = page.getByRole("status").filter({ has: page.getByText("Heads up") });
  await expect(status).toContainText("80% of your daily request limit is used — 10 left");
  await expect(chat.warning).toHaveAttribute("data-level", "80");
  await snap(page, testInfo, "banner-80-signup-card");

  // 48 of 50: critical.
  await chat.consumeMessages(7);
  await chat.send("Message forty-eight");
  await chat.expectMessagesLeft(2, 50);
  await expect(chat.warning).toHaveAttribute("data-level", "95");
  await expect(chat.warning).toContainText("Almost out");
  await expect(chat.warning).toContainText("daily request limit");
  await snap(page, testInfo, "banner-95");

  // 50 of 50: blocked, with the reason and the reset time; the sign-up card says so too.
  await chat.send("Message forty-nine");
  await chat.send("Message fifty");
  await chat.expectMessagesLeft(0, 50);
  const alert = page.getByRole("alert").filter({ hasText: "Limit reached" });
  await expect(alert).toContainText("Daily request limit reached (50 of 50). Resets at");
  await expect(alert).toContainText("Europe/Berlin");
  await expect(page.getByTestId("reset-countdown")).toHaveText(/Resets in \d+ (h|min|s)/);
  await expect(chat.composer).toBeDisabled();
  await expect(chat.blockedReason).toContainText(/You can send again at (\d{4}-\d{2}-\d{2} )?00:00 Europe\/Berlin/);
  await expect(chat.signUpCard).toContainText("You've used all 50 free messages for today");
  await snap(page, testInfo, "banner-100-blocked");

  // Sign up in the modal.
  await chat.signUpCard.getByRole("button", { name: "Sign up free" }).click();
  await expect(chat.authDialog).toBeVisible();
  await expect(chat.authDialog.getByRole("tab", { name: "Sign up" })).toHaveAttribute("aria-selected", "true");
  // The server's rules, shown on the field.
  const email = `journey-${Date.now()}@example.com`;
  await chat.authDialog.getByLabel("Email").fill(email);
  await chat.authDialog.getByLabel("Password").fill("short");
  await chat.authDialog.getByRole("button", { name: "Create account" }).click();
  await expect(chat.authDialog.getByText("Use at least 8 characters")).toBeVisible();
  await chat.authDialog.getByLabel("Password").fill("correct horse battery staple");
  await snap(page, testInfo, "auth-modal");
  await chat.authDialog.getByRole("button", { name: "Create account" }).click();
  await expect(chat.authDialog).toBeHidden();

  // Same conversation, now the account's; the free tier's limits with today's 50 messages carried over.
  await expect(page.getByTestId("account-email")).toHaveText(email);
  expect(chat.conversationId()).toBe(conversationId);
  await expect(chat.userMessages.first()).toContainText("Hello Wavelength");
  await expect(chat.composer).toBeEnabled();
  await expect(chat.signUpCard).toHaveCount(0);
  await page.getByRole("button", { name: "All limits" }).click();
  const limits = page.getByRole("table", { name: "All limits" });
  await expect(limits.getByRole("row", { name: /Daily request limit.*50 \/ 500/ })).toBeVisible();
  await expect(limits.getByRole("row", { name: /Monthly request limit.*50 \/ 5,000/ })).toBeVisible();
  // The meter shows the binding limit of the free tier, in its own unit.
  const max = Number(await chat.meter.getAttribute("aria-valuemax"));
  expect([500, 5_000, 100_000, 1_000_000, 5_000_000, 50_000_000]).toContain(max);

  // And the account can send again.
  await chat.send("Back again as a member");
  await expect(limits.getByRole("row", { name: /Daily request limit.*51 \/ 500/ })).toBeVisible();
  await expect(chat.sidebar.getByRole("link", { name: "Hello Wavelength" })).toHaveAttribute("aria-current", "page");

  expect(errors).toEqual([]);
});
