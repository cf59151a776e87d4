import { expect, test } from "@playwright/test";
import { ApiKeysSection } from "./pages/api-keys-section.ts";
import { AnalyticsPage, keepScreenshot, seriousViolations, signUp, uniqueEmail } from "./pages/analytics-page.ts";
import { SettingsPage } from "./pages/settings-page.ts";

const ZONE = "Europe/Berlin";
test.use({ timezoneId: ZONE });

/** A program's request, as curl would send it: no cookies, the key as the bearer. */
const completion = { model: "local-demo/demo-1", messages: [{ role: "user", content: "Hello from a script" }] };

test("a user creates an API key, a program uses it up to the key's cap, the usage shows by key, and a revoke stops it", async ({
  page,
  playwright,
  baseURL,
}, info) => {
  test.setTimeout(120_000);
  await signUp(page.request, uniqueEmail("keys", info), "Kay", ZONE);
  const settings = new SettingsPage(page);
  const keys = new ApiKeysSection(page);
  // A separate context: no cookies of the signed-in browser, like curl.
  const program = await playwright.request.newContext({ baseURL });

  let secret = "";
  await test.step("create a key with a cap of 2 requests a day; the secret is shown once", async () => {
    await settings.goto();
    secret = await keys.createKey("ci script", 2);
    expect(secret).toMatch(/^wl_[A-Za-z0-9_-]{43}$/);
    await expect(keys.row("ci script")).toContainText(secret.slice(0, 11));
    await expect(keys.row("ci script")).toContainText("2 requests/day");
    await expect(keys.row("ci script")).toContainText("Never");
    expect(await seriousViolations(page)).toEqual([]);
    await keepScreenshot(page, info, "api-key-created.png");
    await page.reload();
    await settings.heading.waitFor();
    await expect(keys.secret).toHaveCount(0);
  });

  await test.step("a program calls /v1/chat/completions with it: two answers, then a 429 with headers", async () => {
    const headers = { authorization: `Bearer ${secret}`, "content-type": "application/json" };
    for (let i = 0; i < 2; i++) {
      const res = await program.post("/v1/chat/completions", { headers, data: completion });
      expect(res.status(), await res.text()).toBe(200);
      const body = await res.json();
      expect(body.choices[0].message.content).toContain("Hello from a script");
      expect(res.headers()["x-ratelimit-remaining-requests"]).toBe(String(1 - i));
    }
    const denied = await program.post("/v1/chat/completions", { headers, data: completion });
    expect(denied.status()).toBe(429);
    expect((await denied.json()).error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
    expect(denied.headers()["x-ratelimit-limit-requests"]).toBe("2");
    expect(Number(denied.headers()["retry-after"])).toBeGreaterThan(0);
  });

  await test.step("the usage page breaks the usage down by key", async () => {
    const analytics = new AnalyticsPage(page);
    await analytics.goto();
    await page.getByRole("button", { name: "By API key" }).click();
    const table = page.getByRole("table", { name: "Usage by API key" });
    const row = table.getByRole("row", { name: new RegExp(`ci script \\(${secret.slice(0, 11)}…\\)`) });
    await expect(row.getByRole("cell").first()).toHaveText("2");
    await keepScreenshot(page, info, "usage-by-key.png");
  });

  await test.step("the list shows its use; a revoke stops the program at once", async () => {
    await settings.goto();
    await expect(keys.row("ci script")).toContainText("2 of 2 requests used today");
    await expect(keys.row("ci script")).not.toContainText("Never");
    await keys.revoke("ci script");
    await expect(keys.row("ci script")).toContainText("Revoked");
    const res = await program.post("/v1/chat/completions", {
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      data: completion,
    });
    expect(res.status()).toBe(401);
    expect((await res.json()).error.code).toBe("revoked_api_key");
  });
  await program.dispose();
});

test.describe("operators", () => {
  // The operator's browser carries the ADMIN_TOKEN, as a header-injecting proxy in front of the app would.
  test.use({ extraHTTPHeaders: { authorization: "Bearer e2e-admin-token-at-least-16" } });

  test("an operator finds a user's key on /admin and revokes it", async ({ page, playwright, baseURL }, info) => {
    test.setTimeout(90_000);
    const user = await playwright.request.newContext({ baseURL });
    await signUp(user, uniqueEmail("ops-keys", info), "Opal", ZONE);
    const created = await user.post("/api/trpc/apiKeys.create", {
      headers: { "content-type": "application/json" },
      data: { json: { name: "leaked key" } },
    });
    expect(created.status(), await created.text()).toBe(200);
    const { secret } = (await created.json()).result.data.json as { secret: string };

    await page.goto("/admin");
    const panel = page.getByTestId("admin-api-keys");
    await panel.getByLabel("Filter keys").fill(secret.slice(0, 11));
    const row = panel.getByRole("row").filter({ hasText: secret.slice(0, 11) });
    await expect(row).toContainText("leaked key");
    await expect(row).toContainText("active");
    expect(await seriousViolations(page)).toEqual([]);
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: /^Revoke leaked key of / }).click();
    await expect(panel.getByText(`No keys match “${secret.slice(0, 11)}”.`)).toBeVisible();
    await keepScreenshot(page, info, "admin-api-keys.png");

    const program = await playwright.request.newContext({ baseURL });
    const res = await program.get("/v1/models", { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status()).toBe(401);
    await Promise.all([user.dispose(), program.dispose()]);
  });
});
