import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { ApiKeysSection } from "./pages/api-keys-section.ts";
import { signUp, uniqueEmail } from "./pages/analytics-page.ts";
import { SettingsPage } from "./pages/settings-page.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");

/** The code blocks of one README section, in order, with their language. */
async function readmeBlocks(heading: string): Promise<{ lang: string; code: string }[]> {
  const readme = await readFile(path.join(root, "README.md"), "utf8");
  const start = readme.indexOf(`## ${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 3);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

test("the README's 'Use it from your code' examples run as written against the server", async ({
  page,
  baseURL,
}, info) => {
  test.setTimeout(120_000);
  const blocks = await readmeBlocks("Use it from your code");
  expect(blocks.map((b) => b.lang)).toEqual(["sh", "js"]);
  // The only change: the test server's address instead of npm start's.
  const host = new URL(baseURL!).host;
  const here = (code: string) => code.replaceAll("localhost:3000", host);
  const dir = info.outputPath();
  await mkdir(dir, { recursive: true });

  // As the README says: sign up, create a key in Settings, copy it.
  await signUp(page.request, uniqueEmail("readme", info), "Reader", "UTC");
  await new SettingsPage(page).goto();
  const key = await new ApiKeysSection(page).createKey("laptop");
  const env = { ...process.env, WAVELENGTH_API_KEY: key };

  const sh = await run("bash", ["-c", `set -euo pipefail\n${here(blocks[0]!.code)}`], {
    cwd: dir,
    env,
    timeout: 60_000,
  });
  const completion = JSON.parse(sh.stdout) as {
    choices: { message: { content: string } }[];
    usage: { completion_tokens: number };
  };
  expect(completion.choices[0]!.message.content).toContain('You said: "Hello!"');
  expect(completion.usage.completion_tokens).toBeGreaterThan(0);

  // Inside the repository, so `import "openai"` finds the installed package.
  const script = path.join(dir, "hello.mjs");
  await writeFile(script, here(blocks[1]!.code));
  const node = await run(process.execPath, [script], { cwd: dir, env, timeout: 60_000 });
  // The runner forces colours on; the usage object is printed with them.
  // eslint-disable-next-line no-control-regex -- ANSI escapes are the point
  const out = node.stdout.replace(/\x1b\[[0-9;]*m/g, "");
  expect(out).toContain('You said: "Hello!"');
  expect(out).toMatch(/completion_tokens: \d+/);
});
