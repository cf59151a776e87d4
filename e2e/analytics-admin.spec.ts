import { expect, test } from "@playwright/test";
import { keepScreenshot, sendDemo, seriousViolations, signUp, uniqueEmail } from "./pages/analytics-page.ts";

const ZONE = "Europe/Berlin";

// The operator's browser carries the ADMIN_TOKEN, as a header-injecting proxy in front of the app would.
test.use({ timezoneId: ZONE, extraHTTPHeaders: { authorization: "Bearer e2e-admin-token-at-least-16" } });

test("an operator finds a user, changes their tier, grants an override, resets usage and watches quota health", async ({
  page,
  playwright,
  baseURL,
}, info) => {
  test.setTimeout(90_000);
  // The user chats in their own session, without the operator's token.
  const user = await playwright.request.newContext({ baseURL });
  const email = uniqueEmail("dee", info);
  try {
    await signUp(user, email, "Dee", ZONE);
    expect((await sendDemo(user, "Hello from Dee")).status).toBe(200);

    await page.goto("/admin");
    await expect(page.getByRole("heading", { level: 1, name: "Operations" })).toBeVisible();

    const health = page.getByRole("region", { name: "System quota health" });
    await expect(health.getByTestId("health-status")).toHaveText(/ok|degraded|down/);
    await expect(health.getByTestId("health-dead")).toHaveText(/^\d+$/);
    await expect(health.getByTestId("health-pending")).toHaveText(/^\d+$/);
    await expect(health.getByTestId("health-overdue")).toHaveText(/^\d+$/);
    await expect(health.getByText("Last reset sweep:")).toBeVisible();

    // The system-wide overview counts Dee's chat among everyone's (other specs share this database).
    const overview = page.getByRole("region", { name: "Usage overview" });
    await expect(overview.getByTestId("overview-requests")).toHaveText(/^[1-9][\d,]*$/);
    await expect(overview.getByTestId("overview-users")).toHaveText(/^[1-9][\d,]*$/);
    await expect(overview.getByRole("table", { name: "By model" })).toContainText("local-demo/demo-1");
    await overview.getByRole("button", { name: "7 days" }).click();
    await expect(overview.getByRole("button", { name: "7 days" })).toHaveAttribute("aria-pressed", "true");
    // Seven days end at the next whole hour: they touch 8 UTC dates, or 7 when that hour is midnight.
    const bars = overview.getByRole("img", { name: "Cost per UTC day" }).locator("div");
    await expect.poll(() => bars.count()).toBeLessThanOrEqual(8);
    expect(await bars.count()).toBeGreaterThanOrEqual(7);

    await page.getByRole("searchbox", { name: "Search" }).fill(email);
    await expect(page).toHaveURL(/[?&]q=/);
    const users = page.getByRole("table", { name: "Users", exact: true });
    const row = users.getByRole("row").filter({ hasText: email });
    await expect(users.getByRole("row")).toHaveCount(2); // header and Dee
    await expect(row.getByRole("cell").nth(0)).toHaveText("free");
    await expect(row.getByRole("cell").nth(1)).toHaveText("1"); // requests today

    await row.getByRole("button", { name: `Manage ${email}` }).click();
    const detail = page.getByTestId("user-detail");
    await expect(detail.getByRole("meter", { name: "Daily request limit", exact: true })).toHaveAttribute(
      "aria-valuenow",
      "1",
    );
    await keepScreenshot(page, info, "admin.png");
    expect(await seriousViolations(page)).toEqual([]);

    await test.step("set the tier to pro", async () => {
      await detail.getByLabel("Tier").selectOption("pro");
      await detail.getByRole("button", { name: "Set tier" }).click();
      await expect(row.getByRole("cell").nth(0)).toHaveText("pro");
    });

    await test.step("grant a daily token override", async () => {
      await detail.getByLabel("Window").selectOption("daily");
      await detail.getByLabel("Scope").selectOption("general");
      await detail.getByLabel("Tokens").fill("1234");
      await detail.getByRole("button", { name: "Save override" }).click();
      const bar = detail.getByRole("meter", { name: "Daily token limit", exact: true });
      await expect(bar).toHaveAttribute("aria-valuemax", "1234");
      await expect(bar).not.toHaveAttribute("aria-valuenow", "0");
      await expect(bar.locator("xpath=..").getByText("override", { exact: true })).toBeVisible();
    });

    await test.step("an invalid override is refused in the form", async () => {
      await detail.getByLabel("Scope").selectOption("model");
      await detail.getByRole("button", { name: "Save override" }).click();
      await expect(detail.getByText("A model-scoped limit needs a provider")).toBeVisible();
      await detail.getByLabel("Scope").selectOption("general");
    });

    await test.step("reset today's usage", async () => {
      await detail.getByLabel("Reset usage in").selectOption("daily");
      await detail.getByRole("button", { name: "Reset usage" }).click();
      // Pro has no daily request cap; the override's token meter shows the reset.
      await expect(detail.getByRole("meter", { name: "Daily token limit", exact: true })).toHaveAttribute(
        "aria-valuenow",
        "0",
      );
      await expect(row.getByRole("cell").nth(1)).toHaveText("0");
    });
  } finally {
    await user.dispose();
  }
});

test("without operator rights the admin page says so", async ({ browser, baseURL }) => {
  // New contexts inherit this file's options; this one must not carry the operator's token.
  const context = await browser.newContext({ baseURL, timezoneId: ZONE, extraHTTPHeaders: {} });
  try {
    const page = await context.newPage();
    await page.goto("/admin");
    await expect(page.getByRole("heading", { level: 1, name: "Operators only" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Users", exact: true })).toHaveCount(0);
  } finally {
    await context.close();
  }
});
