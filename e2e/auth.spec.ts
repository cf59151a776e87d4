import { expect, test } from "@playwright/test";
import { signUp, uniqueEmail } from "./pages/analytics-page.ts";
import { ChatPage } from "./pages/chat-page.ts";

// The sign-up and sign-in doors as a visitor meets them in the modal: the proof of work is solved
// in a worker without the visitor doing anything, and the server's refusals land on the field or
// under the form. (Refusals are 400/401 answers, which the browser logs; no console check here.)

test("sign-up shows the server's password blocklist on the field, then creates the account", async ({ page }, info) => {
  const chat = new ChatPage(page);
  await chat.goto();
  await page.getByRole("button", { name: "Sign up", exact: true }).click();
  await expect(chat.authDialog).toBeVisible();
  const email = uniqueEmail("blocklist", info);
  await chat.authDialog.getByLabel("Email").fill(email);
  // Long enough for the form's own rules; common enough for the server's blocklist.
  await chat.authDialog.getByLabel("Password").fill("password1");
  await chat.authDialog.getByRole("button", { name: "Create account" }).click();
  await expect(chat.authDialog.getByText(/This password is too common or too easy to guess/)).toBeVisible();
  await expect(chat.authDialog.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");

  // That attempt spent its proof; the form has solved the next one.
  await chat.authDialog.getByLabel("Password").fill("plum orchard under snow");
  await chat.authDialog.getByRole("button", { name: "Create account" }).click();
  await expect(chat.authDialog).toBeHidden();
  await expect(page.getByTestId("account-email")).toHaveText(email);
});

test("sign-in solves the proof of work the server asks for after failed attempts", async ({ browser, page }, info) => {
  const email = uniqueEmail("pow-signin", info);
  // The account is made in another browser: this one has no device cookie for it.
  const other = await browser.newContext();
  await signUp(other.request, email, "Pat", "UTC");
  await other.close();

  const chat = new ChatPage(page);
  await chat.goto();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await chat.authDialog.getByLabel("Email").fill(email);
  const password = chat.authDialog.getByLabel("Password");
  const submit = chat.authDialog.getByRole("button", { name: "Sign in", exact: true });
  // Four wrong passwords: from the fourth on, the server wants a proof of work, which the form
  // fetches and solves by itself before the answer comes back as a plain wrong password.
  for (let i = 0; i < 4; i++) {
    await password.fill(`not the password ${i}`);
    const refused = page.waitForResponse((r) => r.url().includes("auth.signIn") && r.status() === 401);
    const challenge = i === 3 ? page.waitForResponse((r) => r.url().includes("auth.challenge")) : null;
    await submit.click();
    await refused;
    if (challenge) expect((await challenge).status()).toBe(200);
    await expect(chat.authDialog.getByRole("alert")).toHaveText("Email or password is incorrect.");
  }
  await password.fill("correct horse battery staple");
  await submit.click();
  await expect(chat.authDialog).toBeHidden();
  await expect(page.getByTestId("account-email")).toHaveText(email);
});
