import { type Locator, type Page } from "@playwright/test";

/** /settings: profile form (name, time zone), plan and sign-out. */
export class SettingsPage {
  readonly heading: Locator;
  readonly name: Locator;
  readonly timeZone: Locator;
  readonly save: Locator;
  readonly saved: Locator;
  readonly tier: Locator;
  readonly signOut: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole("heading", { level: 1, name: "Settings" });
    // The profile form's Name, not the API keys section's (the form is the one with the zone).
    this.name = page
      .locator("form")
      .filter({ has: page.getByLabel("Time zone", { exact: true }) })
      .getByLabel("Name", { exact: true });
    this.timeZone = page.getByLabel("Time zone", { exact: true });
    this.save = page.getByRole("button", { name: "Save" });
    this.saved = page.getByRole("status").filter({ hasText: "Saved" });
    this.tier = page.getByTestId("tier");
    this.signOut = page.getByRole("button", { name: "Sign out" });
  }

  async goto(): Promise<void> {
    await this.page.goto("/settings");
    await this.heading.waitFor();
  }
}
