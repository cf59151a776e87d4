import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";

/**
 * Stopping and starting the local PostgreSQL cluster for the outage test (as root, Debian's
 * pg_ctlcluster). Stopping it breaks every other test run on this machine, so the test first
 * waits until no vitest or Playwright process outside its own process tree is running.
 */
const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function clusterVersion(): string {
  const versions = readdirSync("/etc/postgresql").sort();
  if (versions.length === 0) throw new Error("no PostgreSQL cluster under /etc/postgresql");
  return versions[0]!;
}

async function pgctl(action: "start" | "stop"): Promise<void> {
  const args = [
    "--skip-systemctl-redirect",
    clusterVersion(),
    "main",
    action,
    ...(action === "stop" ? ["-m", "fast"] : []),
  ];
  await run("pg_ctlcluster", args, { timeout: 60_000 });
}

export async function isReady(host: string, port: number): Promise<boolean> {
  try {
    await run("pg_isready", ["-q", "-h", host, "-p", String(port)], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function waitReady(host: string, port: number, ready: boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await isReady(host, port)) === ready) return;
    await sleep(200);
  }
  throw new Error(`PostgreSQL at ${host}:${port} did not become ${ready ? "ready" : "unavailable"} in ${timeoutMs} ms`);
}

export async function stopPostgres(host: string, port: number): Promise<void> {
  await pgctl("stop");
  await waitReady(host, port, false, 30_000);
}

/** Starts the cluster unless it is up, and waits for pg_isready (safe to call any time, e.g. in afterAll). */
export async function ensurePostgresRunning(host: string, port: number): Promise<void> {
  if (await isReady(host, port)) return;
  try {
    await pgctl("start");
  } catch (error) {
    // Already starting or running ("cluster is already running"): pg_isready decides below.
    if (await isReady(host, port)) return;
    console.warn(`pg_ctlcluster start: ${(error as Error).message}`);
  }
  await waitReady(host, port, true, 60_000);
}

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ...", comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
  } catch {
    return null;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** The top of this run's own tree: the highest ancestor in the unbroken chain of npm/vitest processes. */
function ownRoot(): number {
  let root = process.pid;
  for (let pid = parentOf(process.pid); pid !== null && pid > 1; pid = parentOf(pid)) {
    if (!/vitest|npm/.test(commandOf(pid))) break;
    root = pid;
  }
  return root;
}

function isInTree(pid: number, root: number): boolean {
  for (let p: number | null = pid, hops = 0; p !== null && hops < 64; p = parentOf(p), hops++) {
    if (p === root) return true;
  }
  return false;
}

/** vitest and Playwright processes that are not part of this run. */
export async function otherTestRuns(): Promise<string[]> {
  let out = "";
  try {
    out = (await run("pgrep", ["-fa", "vitest|playwright"], { timeout: 5_000 })).stdout;
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  const root = ownRoot();
  return out
    .split("\n")
    .filter(Boolean)
    .filter((line) => !isInTree(Number(line.split(" ")[0]), root));
}

/** Waits (bounded) until no other test run is going on; throws naming them if they do not end. */
export async function waitForExclusiveUse(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let quietChecks = 0;
  let others: string[] = [];
  while (Date.now() < end) {
    others = await otherTestRuns();
    quietChecks = others.length === 0 ? quietChecks + 1 : 0;
    // Two quiet looks a second apart: a run between two of its phases is not mistaken for none.
    if (quietChecks >= 2) return;
    await sleep(others.length === 0 ? 1_000 : 3_000);
  }
  throw new Error(
    `other test runs kept using PostgreSQL for ${timeoutMs / 1000} s; not stopping it under them:\n${others.join("\n")}`,
  );
}
