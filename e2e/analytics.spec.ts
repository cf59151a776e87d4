import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import {
  ADMIN_HEADERS,
  AnalyticsPage,
  DEMO,
  JSON_HEADERS,
  keepScreenshot,
  sendDemo,
  seriousViolations,
  signUp,
  trpcQuery,
  uniqueEmail,
} from "./pages/analytics-page.ts";
import { SettingsPage } from "./pages/settings-page.ts";

// Daily windows reset at the profile zone's midnight; the browser runs in the same zone.
const ZONE = "Europe/Berlin";
test.use({ timezoneId: ZONE });

const TOKEN_LIMIT = 400;
const RESET_TEXT = new RegExp(`resets at (\\d{4}-\\d{2}-\\d{2} )?00:00 ${ZONE.replace("/", "\\/")}`);

interface CsvTotals {
  header: string;
  rows: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

function sumCsv(text: string): CsvTotals {
  const [header = "", ...lines] = text.trimEnd().split("\r\n");
  const out: CsvTotals = { header, rows: lines.length, requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
  for (const line of lines) {
    const [, , requests, input, output, cost] = line.split(",");
    out.requests += Number(requests);
    out.inputTokens += Number(input);
    out.outputTokens += Number(output);
    out.costMicros += Math.round(Number(cost) * 1_000_000);
  }
  return out;
}

test("an admin's daily token override stops a user, named with its reset time; analytics, export and isolation hold", async ({
  page,
  request,
  browser,
  baseURL,
}, info) => {
  test.setTimeout(120_000);
  const analytics = new AnalyticsPage(page);
  const userId = await signUp(page.request, uniqueEmail("ada", info), "Ada", ZONE);

  await test.step("an operator sets a low daily token override", async () => {
    const res = await request.post("/api/trpc/quota.set", {
      headers: ADMIN_HEADERS,
      data: {
        json: {
          userId,
          override: { window: "daily", scope: "general", requests: null, tokens: TOKEN_LIMIT, costMicros: null },
        },
      },
    });
    expect(res.status(), await res.text()).toBe(200);
  });

  let admitted = 0;
  await test.step("the user chats until the token limit refuses with 429, naming the limit and its reset", async () => {
    let refusal: Awaited<ReturnType<typeof sendDemo>> | null = null;
    for (let i = 1; i <= 20 && refusal === null; i++) {
      const r = await sendDemo(page.request, `Message number ${i} about quotas`);
      if (r.status === 200) admitted++;
      else refusal = r;
    }
    expect(admitted).toBeGreaterThan(0);
    if (refusal === null) throw new Error(`20 messages were admitted under a ${TOKEN_LIMIT}-token limit`);
    expect(refusal.status).toBe(429);
    const error = refusal.body.error.json;
    expect(error.message).toMatch(/^Daily token limit (reached|would be exceeded)/);
    expect(error.message).toMatch(new RegExp(`Resets at (\\d{4}-\\d{2}-\\d{2} )?00:00 ${ZONE}\\.$`));
    expect(error.data.quota[0]).toMatchObject({
      window: "daily",
      scope: "general",
      dimension: "tokens",
      limit: TOKEN_LIMIT,
    });

    // The advisory check agrees: another request would not be admitted.
    const check = await page.request.post("/api/trpc/usage.check", {
      data: { json: { ...DEMO, estimatedTokens: 100 } },
      headers: JSON_HEADERS,
    });
    expect((await check.json()).result.data.json.canProceed).toBe(false);
  });

  await test.step("the chat page's meter names the binding limit and its reset", async () => {
    await page.goto("/");
    const meter = page.getByRole("meter", { name: "Daily token limit", exact: true });
    await expect(meter).toHaveAttribute("aria-valuetext", RESET_TEXT);
  });

  await test.step("the analytics page names the limit with its reset time and shows the session's usage", async () => {
    await analytics.goto("range=today");
    await expect(analytics.timeZone).toContainText(ZONE);
    await expect(analytics.rangeCaption).toContainText("hourly");

    const bar = analytics.quotaBar("Daily token limit");
    await expect(bar).toBeVisible();
    await expect(bar).toHaveAttribute("aria-valuemax", String(TOKEN_LIMIT));
    await expect(bar).toHaveAttribute("aria-valuetext", RESET_TEXT);
    await expect(page.getByTestId("quotas").getByText("override", { exact: true })).toBeVisible();

    await expect(analytics.total("requests")).toHaveText(String(admitted));
    expect(await analytics.totalValue("input-tokens")).toBeGreaterThan(0);
    expect(await analytics.totalValue("output-tokens")).toBeGreaterThan(0);
    const tokens = (await analytics.totalValue("input-tokens")) + (await analytics.totalValue("output-tokens"));
    expect(tokens).toBeLessThanOrEqual(TOKEN_LIMIT);

    // Charts render their series (recharts draws SVG paths and bars).
    await expect(analytics.tokenChart.locator(".recharts-area-area").first()).toBeVisible();
    await expect(analytics.requestChart.locator(".recharts-bar-rectangle path").first()).toBeVisible();

    // Breakdown table: the demo model with every request of the session and the whole share.
    const row = analytics.breakdownRow("local-demo/demo-1");
    await expect(row).toContainText(String(admitted));
    await expect(row).toContainText("100.0 %");
    await analytics.breakdownBy("provider").click();
    await expect(analytics.breakdownRow("local-demo")).toBeVisible();

    await expect(analytics.accuracyTable.getByRole("rowheader", { name: "local-demo/demo-1" })).toBeVisible();
    await expect(analytics.blockedTotal).toHaveText("1 blocked request");
  });

  await test.step("screenshots and an axe check with no serious violations", async () => {
    await keepScreenshot(page, info, "analytics-light.png");
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: "dark" });
    await expect(page.locator("html")).toHaveClass(/\bdark\b/);
    await keepScreenshot(page, info, "analytics-dark.png");
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: "light" });
  });

  await test.step("the CSV export downloads exactly the filtered data, and its totals match the page", async () => {
    const csvHref = await analytics.exportCsv.getAttribute("href");
    const jsonHref = await analytics.exportJson.getAttribute("href");
    expect(csvHref).toContain("granularity=hour");
    expect(jsonHref).toBe(csvHref?.replace("format=csv", "format=json"));

    const download = await analytics.downloadCsv();
    expect(download.suggestedFilename()).toMatch(/^wavelength-usage-.*\.csv$/);
    const csv = sumCsv(await readFile(await download.path(), "utf8"));
    expect(csv.header).toBe("bucket_start,group,requests,input_tokens,output_tokens,cost_usd");
    expect(csv.rows).toBeGreaterThanOrEqual(23); // one row per hour of the local day
    expect(csv.rows).toBeLessThanOrEqual(25);
    expect(csv.requests).toBe(await analytics.totalValue("requests"));
    expect(csv.inputTokens).toBe(await analytics.totalValue("input-tokens"));
    expect(csv.outputTokens).toBe(await analytics.totalValue("output-tokens"));
    expect(csv.costMicros).toBe(await analytics.totalValue("cost"));
  });

  await test.step("a second user in another browser never sees the first user's data", async () => {
    const context = await browser.newContext({ baseURL, timezoneId: ZONE });
    try {
      const other = await context.newPage();
      await signUp(other.request, uniqueEmail("bob", info), "Bob", ZONE);
      const theirs = new AnalyticsPage(other);
      await theirs.goto("range=today");
      await expect(theirs.emptyState).toBeVisible();
      await expect(theirs.emptyState.getByRole("link", { name: "Start a chat" })).toHaveAttribute("href", "/");
      await expect(theirs.total("requests")).toHaveText("0");
      await expect(other.getByText("local-demo")).toHaveCount(0);
      await expect(other.getByTestId("quotas").getByText("override", { exact: true })).toHaveCount(0);
      await expect(theirs.quotaBar("Daily token limit")).not.toHaveAttribute("aria-valuemax", String(TOKEN_LIMIT));

      const csv = sumCsv(await readFile(await (await theirs.downloadCsv()).path(), "utf8"));
      expect(csv).toMatchObject({ requests: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 });

      await other.goto("/admin");
      await expect(other.getByRole("heading", { name: "Operators only" })).toBeVisible();
    } finally {
      await context.close();
    }
  });
});

test("date presets and the series split live in the URL and survive a reload", async ({ page }) => {
  const analytics = new AnalyticsPage(page);
  await analytics.goto();
  await expect(analytics.preset("7 days")).toHaveAttribute("aria-pressed", "true");
  await expect(analytics.rangeCaption).toContainText("daily");

  await analytics.preset("Today").click();
  await expect(page).toHaveURL(/[?&]range=today\b/);
  await expect(analytics.rangeCaption).toContainText("hourly");
  await expect(analytics.emptyState).toBeVisible();

  await analytics.preset("30 days").click();
  await expect(page).toHaveURL(/[?&]range=30d\b/);
  await page.getByLabel("Split charts by").selectOption("model");
  await expect(page).toHaveURL(/[?&]group=model\b/);
  await expect(analytics.exportCsv).toHaveAttribute("href", /groupBy=model/);

  await page.reload();
  await expect(analytics.preset("30 days")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByLabel("Split charts by")).toHaveValue("model");

  await analytics.preset("Custom").click();
  await page.getByLabel("From").fill("2026-01-01");
  await expect(page).toHaveURL(/[?&]from=2026-01-01\b/);
  await expect(analytics.rangeCaption).toContainText("2026-01-01");
});

test("settings: a user renames, changes time zone, sees the tier, and signs out", async ({ page }, info) => {
  await signUp(page.request, uniqueEmail("cy", info), "Cy", ZONE);
  const settings = new SettingsPage(page);
  await settings.goto();
  await expect(settings.tier).toHaveText("free");
  await expect(settings.name).toHaveValue("Cy");
  await expect(settings.timeZone).toHaveValue(ZONE);

  await settings.name.fill("Cyrus");
  await settings.timeZone.selectOption("America/New_York");
  await settings.save.click();
  await expect(settings.saved).toBeVisible();

  await page.reload();
  await expect(settings.name).toHaveValue("Cyrus");
  await expect(settings.timeZone).toHaveValue("America/New_York");
  const analytics = new AnalyticsPage(page);
  await analytics.goto();
  await expect(analytics.timeZone).toContainText("America/New_York");

  await settings.goto();
  await settings.signOut.click();
  await expect(page).toHaveURL(/\/$/);
  const me = await page.request.get(trpcQuery("auth.me", undefined));
  expect((await me.json()).result.data.json.kind).toBe("anonymous");
});
