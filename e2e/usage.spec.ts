import { expect, test } from "@playwright/test";
import { ChatPage } from "./pages/chat-page.ts";

// The anonymous daily window follows the browser's zone, sent by the SPA in x-time-zone.
test.use({ timezoneId: "Europe/Berlin" });

test("a fresh anonymous visitor sees 50 of 50 messages left, resetting at midnight in their zone", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();

  await expect(page).toHaveTitle("Wavelength");
  await expect(page.getByRole("link", { name: "Wavelength" })).toBeVisible();
  await expect(chat.meter).toContainText("50 of 50 messages left today");
  // Midnight local time; the date is only spelled out in the minute around midnight itself.
  const sentence = /^50 of 50 messages left today · resets at (\d{4}-\d{2}-\d{2} )?00:00 Europe\/Berlin$/;
  await expect(chat.meter).toHaveAttribute("aria-valuetext", sentence);
  await expect(chat.meter).toHaveAttribute("aria-valuemin", "0");
  await expect(chat.meter).toHaveAttribute("aria-valuemax", "50");
  await expect(chat.meter).toHaveAttribute("aria-valuenow", "0");
  await expect(chat.meter).toHaveAttribute("data-health", "ok");

  await page.getByRole("button", { name: "All limits" }).click();
  await expect(
    page.getByRole("table", { name: "All limits" }).getByRole("row", { name: /Daily request limit.*0 \/ 50/ }),
  ).toBeVisible();
});

test("the advisory check consumes nothing: the meter stays at 50 until a message is sent", async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await expect(chat.meter).toHaveAttribute("aria-valuenow", "0");

  // Each send runs usage.check first (reserves nothing), then chat.send (counts one message).
  await chat.send("Just one");
  await chat.expectMessagesLeft(49, 50);
});

test("the anonymous session cookie is HttpOnly and SameSite=Lax", async ({ page, context }) => {
  const chat = new ChatPage(page);
  await chat.goto();

  const cookie = (await context.cookies()).find((c) => c.name === "wl_anon");
  expect(cookie, "the server sets a wl_anon cookie").toBeDefined();
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");
  expect(cookie?.path).toBe("/");
});
