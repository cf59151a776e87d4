import AxeBuilder from "@axe-core/playwright";
import {
  type APIRequestContext,
  type Download,
  type Locator,
  type Page,
  type TestInfo,
  expect,
} from "@playwright/test";
import { solveProofOfWork, type ProofChallenge } from "@wavelength/shared/proof-of-work";

export type TotalName = "requests" | "input-tokens" | "output-tokens" | "cost";

/** /settings/usage: range picker, totals, charts, breakdown, quota bars, accuracy, refusals, exports. */
export class AnalyticsPage {
  readonly heading: Locator;
  readonly timeZone: Locator;
  readonly rangeCaption: Locator;
  readonly tokenChart: Locator;
  readonly requestChart: Locator;
  readonly breakdownTable: Locator;
  readonly quotaBars: Locator;
  readonly accuracyTable: Locator;
  readonly blockedTotal: Locator;
  readonly emptyState: Locator;
  readonly exportCsv: Locator;
  readonly exportJson: Locator;
  readonly loading: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole("heading", { level: 1, name: "Usage" });
    this.timeZone = page.getByTestId("time-zone");
    this.rangeCaption = page.getByTestId("range-caption");
    this.tokenChart = page.getByRole("figure", { name: "Tokens over time" });
    this.requestChart = page.getByRole("figure", { name: "Requests and cost over time" });
    this.breakdownTable = page.getByRole("table", { name: /^Usage by / });
    this.quotaBars = page.getByTestId("quotas").getByRole("meter");
    this.accuracyTable = page.getByRole("table", { name: "Estimate accuracy by model" });
    this.blockedTotal = page.getByTestId("blocked-total");
    this.emptyState = page.getByTestId("analytics-empty");
    this.exportCsv = page.getByRole("link", { name: "Export CSV" });
    this.exportJson = page.getByRole("link", { name: "Export JSON" });
    this.loading = page.getByRole("status", { name: "Loading your usage" });
  }

  /** Opens the page with URL filters ("range=today") and waits until the data has rendered. */
  async goto(query = ""): Promise<void> {
    await this.page.goto(`/settings/usage${query ? `?${query}` : ""}`);
    await this.heading.waitFor();
    await this.page.getByTestId("total-requests").waitFor();
  }

  preset(name: string): Locator {
    return this.page.getByRole("group", { name: "Date range" }).getByRole("button", { name, exact: true });
  }

  total(name: TotalName): Locator {
    return this.page.getByTestId(`total-${name}`);
  }

  /** The exact amount behind a total (cost in micro-dollars), from its data-value attribute. */
  async totalValue(name: TotalName): Promise<number> {
    return Number(await this.total(name).getAttribute("data-value"));
  }

  quotaBar(limitName: string): Locator {
    return this.page.getByTestId("quotas").getByRole("meter", { name: limitName, exact: true });
  }

  breakdownRow(name: string): Locator {
    return this.breakdownTable
      .getByRole("row")
      .filter({ has: this.page.getByRole("rowheader", { name, exact: true }) });
  }

  breakdownBy(dimension: "provider" | "model"): Locator {
    return this.page.getByRole("group", { name: "Break down by" }).getByRole("button", { name: `By ${dimension}` });
  }

  async downloadCsv(): Promise<Download> {
    const [download] = await Promise.all([this.page.waitForEvent("download"), this.exportCsv.click()]);
    return download;
  }
}

// API steps and checks shared by the analytics specs.

export const JSON_HEADERS = { "content-type": "application/json" };
/** The e2e server's ADMIN_TOKEN (playwright.config.ts). */
/** The operator token the e2e server runs with (playwright.config.ts). */
export const E2E_ADMIN_TOKEN = "e2e-admin-token-at-least-16";
export const ADMIN_HEADERS = { ...JSON_HEADERS, authorization: `Bearer ${E2E_ADMIN_TOKEN}` };
export const DEMO = { provider: "local-demo", model: "demo-1" };

export const trpcQuery = (path: string, input: unknown): string =>
  `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;

export const uniqueEmail = (who: string, info: TestInfo): string => `${who}-${Date.now()}-${info.retry}@example.com`;

/** Signs up through the API; the session cookie lands in the request's browser context. */
export async function signUp(
  request: APIRequestContext,
  email: string,
  name: string,
  timezone: string,
): Promise<string> {
  const challenge = await request.get("/api/trpc/auth.challenge");
  expect(challenge.status()).toBe(200);
  const proof = await solveProofOfWork((await challenge.json()).result.data.json as ProofChallenge);
  const res = await request.post("/api/trpc/auth.signUp", {
    data: { json: { email, password: "correct horse battery staple", name, timezone, proof } },
    headers: JSON_HEADERS,
  });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  return body.result.data.json.user.id as string;
}

export interface SendRefusal {
  error: { json: { message: string; data: { httpStatus: number; quota: Record<string, unknown>[] } } };
}

/** Sends one demo message; when admitted, waits until the reply has settled (usage recorded). */
export async function sendDemo(
  request: APIRequestContext,
  content: string,
): Promise<{ status: number; body: SendRefusal }> {
  const res = await request.post("/api/trpc/chat.send", {
    data: { json: { ...DEMO, content } },
    headers: JSON_HEADERS,
  });
  const body = await res.json();
  if (res.status() === 200) {
    const taskId = body.result.data.json.taskId as string;
    await expect
      .poll(
        async () => {
          const task = await request.get(trpcQuery("chat.task", { taskId }));
          return (await task.json()).result.data.json.status as string;
        },
        { timeout: 15_000 },
      )
      .not.toMatch(/^(queued|running)$/);
  }
  return { status: res.status(), body };
}

/** axe violations of impact serious or critical, in a shape that reads well in a failed expect. */
export async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
}

/** A full-page screenshot in the test's output folder, attached to the report. */
export async function keepScreenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(name);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: "image/png" });
}
