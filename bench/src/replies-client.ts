// The clients of the replies part: a small keep-alive HTTP client that counts the bytes it reads,
// a tRPC call over it, and a child-process helper for the provider and the peer server.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "../../packages/api/test/support/migrate.ts";

/** One agent for every client of the bench: connections are reused as a browser reuses them. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 2_000 });

export interface Answer {
  status: number;
  body: string;
  /** Body bytes read (what a client downloads beyond the headers). */
  bytes: number;
}

export function request(
  url: string,
  init: { method: "GET" | "POST"; body?: string; headers?: Record<string, string> },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method, agent, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        bytes += c.length;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), bytes }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(120_000, () => req.destroy(new Error("timeout")));
    req.end(init.body);
  });
}

interface TrpcBody<T> {
  result?: { data?: { json?: T } };
  error?: { json?: { message?: string } };
}

/** A tRPC call (superjson envelope) with a session cookie; throws on anything but a result. */
export async function trpc<T>(
  baseUrl: string,
  kind: "query" | "mutation",
  procedure: string,
  input: unknown,
  cookie: string,
): Promise<{ data: T; bytes: number }> {
  const payload = JSON.stringify({ json: input });
  const answer =
    kind === "query"
      ? await request(`${baseUrl}/api/trpc/${procedure}?input=${encodeURIComponent(payload)}`, {
          method: "GET",
          headers: { cookie },
        })
      : await request(`${baseUrl}/api/trpc/${procedure}`, {
          method: "POST",
          body: payload,
          headers: { cookie, "content-type": "application/json", origin: baseUrl },
        });
  const body = JSON.parse(answer.body) as TrpcBody<T>;
  if (answer.status !== 200 || !body.result) {
    throw new Error(`${procedure}: ${answer.status} ${body.error?.json?.message ?? answer.body.slice(0, 200)}`);
  }
  return { data: body.result.data?.json as T, bytes: answer.bytes };
}

/** A bench helper process (`node --import tsx <script>`) that prints one JSON line when ready. */
export interface Helper<T> {
  child: ChildProcess;
  ready: T;
  stop(): Promise<void>;
}

export async function startHelper<T>(script: string, env: Record<string, string> = {}): Promise<Helper<T>> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: REPO_ROOT,

    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = await new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(JSON.parse(line) as T));
    child.once("exit", (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
  });
  return {
    child,
    ready,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** User + system CPU of a process so far, in µs (Linux /proc), or null elsewhere. */
export function cpuUsOf(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // utime and stime are the 14th and 15th fields; the command name before them may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / 100 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}
