import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ChatPage } from "./pages/chat-page.ts";

test.use({ timezoneId: "Europe/Berlin" });

/**
 * The security headers (issue 10) as a browser meets them: the SPA runs under its Content Security
 * Policy with no violation at all (each would be a feature the policy breaks, or a policy too loose
 * to notice), on the chat, the usage analytics and the settings page, in both themes.
 */

/** Every CSP violation the pages report (event and console alike), across navigations. */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  await page.exposeFunction("reportCspViolation", (v: string) => seen.push(v));
  await page.addInitScript(() => {
    // Runs in the page (the e2e project has no DOM types): the event and our exposed reporter.
    interface Violation {
      effectiveDirective: string;
      blockedURI: string;
      sourceFile: string;
      lineNumber: number;
    }
    const page = globalThis as unknown as {
      document: { addEventListener(type: string, listener: (e: Violation) => void): void };
      reportCspViolation(v: string): Promise<void>;
    };
    page.document.addEventListener("securitypolicyviolation", (e) => {
      void page.reportCspViolation(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return seen;
}

async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

test("the SPA works under its Content Security Policy with no violation", async ({ page }, testInfo) => {
  const violations = await watchViolations(page);
  const document = await page.request.get("/");
  const csp = document.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
  expect(document.headers()["x-content-type-options"]).toBe("nosniff");
  expect(document.headers()["referrer-policy"]).toBe("no-referrer");
  expect(document.headers()["x-frame-options"]).toBe("DENY");

  const chat = new ChatPage(page);
  await chat.goto();
  await chat.send("Please make this **bold** and show `inline code`", "Please make this bold and show inline code");
  await expect(chat.assistantReplies.last().locator("strong")).toHaveText("bold");

  // The inline theme script runs before first paint on a reload (allowed by its hash).
  await page.getByRole("combobox", { name: "Theme" }).selectOption("dark");
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expect(chat.meter).toBeVisible();
  await snap(page, testInfo, "chat-under-csp");

  // The analytics page and its charts load lazily (half a megabyte): on a busy machine that takes a while.
  await page.goto("/settings/usage");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator(".recharts-surface").first()).toBeVisible({ timeout: 20_000 });
  await snap(page, testInfo, "usage-under-csp");

  await page.goto("/settings");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();

  expect(violations).toEqual([]);
});
