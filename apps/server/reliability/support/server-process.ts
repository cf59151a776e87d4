import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { REPO_ROOT } from "../../../../packages/api/test/support/migrate.ts";

export const SESSION_SECRET = "reliability-session-secret-0123456789abcdef";
export const ADMIN_TOKEN = "reliability-admin-token-0123456789";

export interface ServerOptions {
  name: string;
  databaseUrl: string;
  /** Folder for this server's log file (kept for the failure message). */
  logDir: string;
  failMode?: "open" | "closed";
  demoTokenDelayMs?: number;
  /** Extra node flags, before the entry point (the HTTP bench passes --cpu-prof through). */
  nodeArgs?: readonly string[];
  /** More environment for the server, over the defaults below (sign-up allowance, a provider, chat settings). */
  env?: Readonly<Record<string, string>>;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We killed or stopped it; anything else is a crash. */
  expected: boolean;
}

/** A free TCP port on 127.0.0.1 (closed again before the server takes it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One real Wavelength server: `node --import tsx apps/server/src/main.ts`, node itself (not the tsx
 * wrapper) so that SIGKILL kills the process that holds the sockets and the running chats.
 */
export class ServerProcess {
  readonly exits: Exit[] = [];
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private expectingExit = false;
  readonly logFile: string;

  private constructor(
    readonly options: ServerOptions,
    readonly port: number,
  ) {
    this.logFile = path.join(options.logDir, `${options.name}.log`);
    this.log = createWriteStream(this.logFile, { flags: "a" });
  }

  static async start(options: ServerOptions): Promise<ServerProcess> {
    const server = new ServerProcess(options, await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Exits nobody asked for: a crash. */
  get crashes(): Exit[] {
    return this.exits.filter((e) => !e.expected);
  }

  async start(): Promise<void> {
    if (this.alive) throw new Error(`${this.options.name} is already running`);
    this.expectingExit = false;
    const { options } = this;
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", "apps/server/src/main.ts"], {
      cwd: REPO_ROOT,
      env: {
        // The child needs PATH and friends; everything Wavelength reads is set explicitly below.
        // eslint-disable-next-line no-restricted-properties -- test tooling configures the child by its environment
        ...process.env,
        NODE_ENV: "production",
        PORT: String(this.port),
        HOST: "127.0.0.1",
        DATABASE_URL: options.databaseUrl,
        SESSION_SECRET,
        ADMIN_TOKEN,
        QUOTA_FAIL_MODE: options.failMode ?? "open",
        DEMO_TOKEN_DELAY_MS: String(options.demoTokenDelayMs ?? 1),
        // Every simulated visitor comes from 127.0.0.1; a distinct X-Forwarded-For per visitor keeps
        // the per-address anonymous cap from binding where the test does not mean it to.
        TRUSTED_PROXIES: "127.0.0.1",
        LOG_LEVEL: "warn",
        // The real proof-of-work check with milliseconds of work: tests solve one per sign-up.
        PROOF_OF_WORK_COST: "1",
        PROOF_OF_WORK_MAX_COUNTER: "20",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    child.once("exit", (code, signal) => {
      this.exits.push({ code, signal, expected: this.expectingExit });
      this.log.write(`\n[reliability] ${options.name} exited code=${code} signal=${signal}\n`);
    });
    await this.waitHealthy(30_000);
  }

  /** Waits for GET /api/health to answer 200 (bounded); fails early if the process died. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (!this.alive) throw new Error(`${this.options.name} exited while starting:\n${this.logTail()}`);
      if ((await this.health()) === 200) return;
      await sleep(100);
    }
    throw new Error(`${this.options.name} not healthy after ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** The status of GET /api/health, or 0 when nothing answers. */
  async health(): Promise<number> {
    try {
      const r = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      return r.status;
    } catch {
      return 0;
    }
  }

  /** kill -9: no shutdown hook runs, running chats are left behind in the database. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    this.expectingExit = true;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Graceful stop (SIGTERM), SIGKILL after a bound. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    this.expectingExit = true;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** User + system CPU of the running process so far, in µs (Linux /proc), or null. */
  cpuUs(): number | null {
    try {
      const stat = readFileSync(`/proc/${this.child?.pid}/stat`, "utf8");
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

  async close(): Promise<void> {
    await this.stop();
    await new Promise((r) => this.log.end(r));
  }
}
