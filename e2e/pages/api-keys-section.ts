import { type Locator, type Page } from "@playwright/test";

/** The "API keys" section of /settings: create (with limits), the shown-once secret, the list. */
export class ApiKeysSection {
  readonly section: Locator;
  readonly name: Locator;
  readonly limits: Locator;
  readonly create: Locator;
  readonly secret: Locator;
  readonly rows: Locator;

  constructor(readonly page: Page) {
    this.section = page.getByTestId("api-keys");
    this.name = this.section.getByLabel("Name", { exact: true });
    this.limits = this.section.getByText("Limits for this key (optional)");
    this.create = this.section.getByRole("button", { name: "Create key" });
    this.secret = this.section.getByTestId("new-api-key");
    this.rows = this.section.getByTestId("api-key-row");
  }

  /** Creates a key with an optional daily request cap; returns the secret shown once. */
  async createKey(name: string, dailyRequests?: number): Promise<string> {
    await this.name.fill(name);
    if (dailyRequests !== undefined) {
      await this.limits.click();
      await this.section.getByLabel("Requests a day").fill(String(dailyRequests));
    }
    await this.create.click();
    await this.secret.waitFor();
    return this.secret.inputValue();
  }

  row(name: string): Locator {
    return this.rows.filter({ has: this.page.getByRole("rowheader", { name }) });
  }

  async revoke(name: string): Promise<void> {
    await this.row(name)
      .getByRole("button", { name: `Revoke ${name}` })
      .click();
    await this.row(name).getByRole("button", { name: "Confirm revoke" }).click();
  }
}
