import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export const INITIAL_JS_TARGET_KB = 200;

export interface BundleReport {
  initialJsGzipKB: number;
  initialCssGzipKB: number;
  files: { file: string; gzipKB: number }[];
  pass: boolean;
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

/**
 * What the chat page downloads before it can run: the entry script and every
 * chunk index.html preloads (lazy routes such as analytics are not counted),
 * gzip-compressed as a server would send them.
 */
export function measureInitialBundle(repoRoot: string): BundleReport {
  const dist = path.join(repoRoot, "apps/web/dist");
  if (!existsSync(path.join(dist, "index.html"))) {
    execFileSync("npm", ["run", "build", "--workspace=@wavelength/web"], { cwd: repoRoot, stdio: "ignore" });
  }
  const html = readFileSync(path.join(dist, "index.html"), "utf8");
  const refs = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  const files = [...new Set(refs)].map((ref) => ({
    file: ref,
    gzipKB: kb(gzipSync(readFileSync(path.join(dist, ref)), { level: 9 }).length),
  }));
  const sum = (ext: string) =>
    Math.round(files.filter((f) => f.file.endsWith(ext)).reduce((n, f) => n + f.gzipKB, 0) * 10) / 10;
  const initialJsGzipKB = sum(".js");
  return { initialJsGzipKB, initialCssGzipKB: sum(".css"), files, pass: initialJsGzipKB <= INITIAL_JS_TARGET_KB };
}

export function bundleMarkdown(b: BundleReport): { markdown: string; summary: string } {
  const summary = `${b.pass ? "PASS" : "**MISS**"} chat page initial JavaScript ≤ ${INITIAL_JS_TARGET_KB} KB gzip: ${b.initialJsGzipKB} KB (CSS ${b.initialCssGzipKB} KB)`;
  const rows = b.files.map((f) => `| \`${f.file}\` | ${f.gzipKB} |`);
  const markdown = [
    "## 3. The SPA's initial bundle",
    "",
    "Files `apps/web/dist/index.html` loads or preloads (lazy routes such as the analytics page and its charts excluded), gzip level 9.",
    "",
    "| file | gzip KB |",
    "|---|---:|",
    ...rows,
    `| **initial JavaScript** | **${b.initialJsGzipKB}** |`,
    "",
  ].join("\n");
  return { markdown, summary };
}
