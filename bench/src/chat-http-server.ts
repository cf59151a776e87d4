// Real Wavelength server processes for the HTTP chat bench: `node --import tsx apps/server/src/main.ts`
// (node itself, not the tsx wrapper, so that the pid we signal is the one holding the sockets), as the
// reliability suite starts them (apps/server/reliability/support/server-process.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import path from "node:path";
import { freePort } from "../../apps/server/reliability/support/server-process.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

export const BENCH_SESSION_SECRET = "bench-http-session-secret-0123456789abcdef";
export const BENCH_ADMIN_TOKEN = "bench-http-admin-token-0123456789";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BenchServer {
  private exited = false;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly log: WriteStream,
    readonly logFile: string,
  ) {
    child.once("exit", () => {
      this.exited = true;
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts one server on a free port and waits until GET /api/health answers 200 (bounded). */
  static async start(name: string, databaseUrl: string, logDir: string): Promise<BenchServer> {
    const port = await freePort();
    const logFile = path.join(logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: "a" });
    // BENCH_HTTP_NODE_ARGS: extra node flags for the servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const extra = (process.env.BENCH_HTTP_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const child = spawn(process.execPath, [...extra, "--import", "tsx", "apps/server/src/main.ts"], {
      cwd: repoRoot,
      env: {
        // PATH and friends; everything Wavelength reads is set explicitly below.
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: databaseUrl,
        SESSION_SECRET: BENCH_SESSION_SECRET,
        ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
        // A store error is then a 503 the bench counts, not an admission without a reservation.
        QUOTA_FAIL_MODE: "closed",
        DEMO_MODEL: "on",
        DEMO_TOKEN_DELAY_MS: "0",
        // Sign-ups carry a distinct X-Forwarded-For each, as the reliability suite's visitors do.
        TRUSTED_PROXIES: "127.0.0.1",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const server = new BenchServer(name, port, child, log, logFile);
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      if (!server.alive) {
        await server.close();
        throw new Error(`${name} exited while starting:\n${server.logTail()}`);
      }
      if ((await server.health()) === 200) return server;
      await sleep(100);
    }
    await server.close();
    throw new Error(`${name} not healthy after 60 s:\n${server.logTail()}`);
  }

  async health(): Promise<number> {
    try {
      const r = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      return r.status;
    } catch {
      return 0;
    }
  }

  /** User + system CPU of the server process so far, in µs (Linux /proc), or null. */
  cpuUs(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
      // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      return Number.isFinite(ticks) ? (ticks * 1_000_000) / 100 : null; // USER_HZ is 100 on Linux
    } catch {
      return null;
    }
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** SIGTERM (the server's graceful shutdown), SIGKILL after a bound; then closes the log. */
  async close(): Promise<void> {
    if (this.alive) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((r) => this.log.end(r));
  }
}
