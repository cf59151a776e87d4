import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";

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

test("the README's 'Use it from your code' examples run as written against the server", async ({ baseURL }, info) => {
  test.setTimeout(120_000);
  const blocks = await readmeBlocks("Use it from your code");
  expect(blocks.map((b) => b.lang)).toEqual(["sh", "sh", "js"]);
  // The only changes: the test server's address instead of npm start's, and an address of our own.
  const host = new URL(baseURL!).host;
  const here = (code: string) =>
    code
      .replaceAll("localhost:3000", host)
      .replaceAll("me@example.com", `readme-${Date.now()}-${info.retry}@example.com`);
  const dir = info.outputPath();
  await mkdir(dir, { recursive: true });

  const shell = `set -euo pipefail\n${here(blocks[0]!.code)}\necho "KEY=$WAVELENGTH_API_KEY"\n${here(blocks[1]!.code)}`;
  const sh = await run("bash", ["-c", shell], { cwd: dir, timeout: 60_000 });
  const key = /^KEY=(wl_[A-Za-z0-9_-]{43})$/m.exec(sh.stdout)?.[1];
  expect(key, sh.stdout + sh.stderr).toBeDefined();
  const completion = JSON.parse(sh.stdout.slice(sh.stdout.indexOf("\n", sh.stdout.indexOf("KEY=")) + 1)) as {
    choices: { message: { content: string } }[];
    usage: { completion_tokens: number };
  };
  expect(completion.choices[0]!.message.content).toContain('You said: "Hello!"');
  expect(completion.usage.completion_tokens).toBeGreaterThan(0);

  // Inside the repository, so `import "openai"` finds the installed package.
  const script = path.join(dir, "hello.mjs");
  await writeFile(script, here(blocks[2]!.code));
  const node = await run(process.execPath, [script], {
    cwd: dir,
    env: { ...process.env, WAVELENGTH_API_KEY: key },
    timeout: 60_000,
  });
  // The runner forces colours on; the usage object is printed with them.
  // eslint-disable-next-line no-control-regex -- ANSI escapes are the point
  const out = node.stdout.replace(/\x1b\[[0-9;]*m/g, "");
  expect(out).toContain('You said: "Hello!"');
  expect(out).toMatch(/completion_tokens: \d+/);
});
