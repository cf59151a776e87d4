import { expect, test } from "@playwright/test";
import { UsagePage } from "./pages/usage-page.ts";

// The anonymous daily window follows the browser's zone, sent by the SPA in x-time-zone.
test.use({ timezoneId: "Europe/Berlin" });

test("a fresh anonymous visitor sees 50 of 50 messages left, resetting at midnight in their zone", async ({ page }) => {
  const usage = new UsagePage(page);
  await usage.goto();

  await expect(page).toHaveTitle("Wavelength");
  await expect(usage.heading).toHaveText("Wavelength");
  await expect(usage.meter).toContainText("50 of 50 messages left today");
  // Midnight local time; the date is only spelled out in the minute around midnight itself.
  const sentence = /^50 of 50 messages left today · resets at (\d{4}-\d{2}-\d{2} )?00:00 Europe\/Berlin$/;
  await expect(usage.meter).toHaveAttribute("aria-valuetext", sentence);
  await expect(usage.meter).toHaveAttribute("aria-valuemin", "0");
  await expect(usage.meter).toHaveAttribute("aria-valuemax", "50");
  await expect(usage.meter).toHaveAttribute("aria-valuenow", "0");
  await expect(usage.health).toContainText("ok");
  await expect(usage.quotaTable.getByRole("row", { name: /daily.*requests.*0 \/ 50/ })).toBeVisible();
});

test("checking a request reports that it can proceed", async ({ page }) => {
  const usage = new UsagePage(page);
  await usage.goto();
  await expect(usage.meter).toBeVisible();

  await usage.checkRequest();

  await expect(usage.checkOutcome).toHaveText(/can proceed/);
  // The check is advisory: it consumes nothing.
  await expect(usage.meter).toHaveAttribute("aria-valuenow", "0");
});

test("the anonymous session cookie is HttpOnly and SameSite=Lax", async ({ page, context }) => {
  const usage = new UsagePage(page);
  await usage.goto();
  await expect(usage.meter).toBeVisible();

  const cookie = (await context.cookies()).find((c) => c.name === "wl_anon");
  expect(cookie, "the server sets a wl_anon cookie").toBeDefined();
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");
  expect(cookie?.path).toBe("/");
});
