import { type Locator, type Page } from "@playwright/test";

/** The SPA's start page: the usage meter, the quota table and the "Check a request" button. */
export class UsagePage {
  readonly heading: Locator;
  readonly meter: Locator;
  readonly health: Locator;
  readonly quotaTable: Locator;
  readonly checkButton: Locator;
  readonly checkOutcome: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole("heading", { level: 1 });
    this.meter = page.getByRole("meter");
    this.health = page.locator(".health");
    this.quotaTable = page.getByRole("table", { name: "All quotas" });
    this.checkButton = page.getByRole("button", { name: "Check a request" });
    this.checkOutcome = page.getByTestId("check-outcome");
  }

  async goto(): Promise<void> {
    await this.page.goto("/");
  }

  async checkRequest(): Promise<void> {
    await this.checkButton.click();
  }
}
