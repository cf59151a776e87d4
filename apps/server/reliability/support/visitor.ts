import { solveProofOfWork, type ProofChallenge } from "@wavelength/shared/proof-of-work";
import { ADMIN_TOKEN } from "./server-process.ts";

/** What a tRPC call over HTTP came back with; `status` 0 means no HTTP answer at all. */
export type CallResult<T = unknown> =
  | { ok: true; status: number; data: T }
  | {
      ok: false;
      status: number;
      code: string;
      appCode: string | null;
      message: string;
      /** The Retry-After header, when the server sent one. */
      retryAfter: string | null;
    };

export type CallFailure = Extract<CallResult, { ok: false }>;

interface TrpcBody {
  result?: { data?: { json?: unknown } };
  error?: { json?: { message?: string; data?: { code?: string; appError?: { code?: string } | null } } };
}

/**
 * A browser in miniature speaking tRPC over real HTTP: one cookie jar (wl_anon, wl_session), the
 * headers it always sends (its X-Forwarded-For address), and nothing else shared with others.
 */
export class Visitor {
  private readonly jar = new Map<string, string>();

  constructor(private readonly headers: Record<string, string> = {}) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** Puts a cookie in the jar as an attacker (or a stale tab) would. */
  plantCookie(name: string, value: string): void {
    this.jar.set(name, value);
  }

  private cookieHeader(): Record<string, string> {
    return this.jar.size === 0 ? {} : { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (value === "" || expired) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async mutate<T = unknown>(baseUrl: string, path: string, input: unknown, headers: Record<string, string> = {}) {
    return this.request<T>(`${baseUrl}/api/trpc/${path}`, {
      method: "POST",
      body: JSON.stringify({ json: input }),
      headers: { "content-type": "application/json", ...headers },
    });
  }

  async query<T = unknown>(baseUrl: string, path: string, input?: unknown, headers: Record<string, string> = {}) {
    const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
    return this.request<T>(`${baseUrl}/api/trpc/${path}${qs}`, { method: "GET", headers });
  }

  /** Raw HTTP with this visitor's cookies and headers (bounded by a timeout). */
  async raw(url: string, init: { method: string; body?: string; headers?: Record<string, string> }) {
    const res = await fetch(url, {
      method: init.method,
      body: init.body,
      headers: { ...this.headers, ...this.cookieHeader(), ...init.headers },
      signal: AbortSignal.timeout(30_000),
    });
    this.remember(res);
    return res;
  }

  private async request<T>(
    url: string,
    init: { method: string; body?: string; headers: Record<string, string> },
  ): Promise<CallResult<T>> {
    let res: Response;
    let body: TrpcBody;
    try {
      res = await this.raw(url, init);
      body = (await res.json()) as TrpcBody;
    } catch (error) {
      // Connection refused or reset (a killed server), a timeout, or a body that is not JSON.
      return {
        ok: false,
        status: 0,
        code: "NETWORK",
        appCode: null,
        message: (error as Error).message,
        retryAfter: null,
      };
    }
    if (res.ok && body.result) return { ok: true, status: res.status, data: body.result.data?.json as T };
    const e = body.error?.json;
    return {
      ok: false,
      status: res.status,
      code: e?.data?.code ?? "UNKNOWN",
      appCode: e?.data?.appError?.code ?? null,
      message: e?.message ?? "",
      retryAfter: res.headers.get("retry-after"),
    };
  }
}

export function unwrap<T>(r: CallResult<T>, what: string): T {
  if (!r.ok) throw new Error(`${what} failed: ${r.status} ${r.code} ${r.message}`);
  return r.data;
}

/** The operator: the admin bearer token and no cookies. */
export const operator = () => new Visitor({ authorization: `Bearer ${ADMIN_TOKEN}` });

/** A solved proof of work from the server's `auth.challenge`, for the `proof` field of sign-up or sign-in. */
export async function solvedProof(baseUrl: string): Promise<string> {
  return solveProofOfWork(
    unwrap(await new Visitor().query<ProofChallenge>(baseUrl, "auth.challenge"), "auth.challenge"),
  );
}

/** A new account, signed in (its session cookie in the jar); the address keeps sign-ups apart. */
export async function signUp(baseUrl: string, address: string, label: string) {
  const visitor = new Visitor({ "x-forwarded-for": address });
  const email = `${label}.${Math.random().toString(36).slice(2, 10)}@reliability.test`;
  const r = unwrap(
    await visitor.mutate<{ user: { id: string } }>(baseUrl, "auth.signUp", {
      email,
      password: "correct horse battery",
      proof: await solvedProof(baseUrl),
    }),
    "auth.signUp",
  );
  return { visitor, userId: r.user.id, email };
}

/** Lowers a user's daily request limit with an operator override, so that the limit binds in a test. */
export async function setDailyRequestLimit(baseUrl: string, userId: string, requests: number): Promise<void> {
  unwrap(
    await operator().mutate(baseUrl, "quota.set", {
      userId,
      override: { window: "daily", scope: "general", requests, tokens: null, costMicros: null },
    }),
    "quota.set",
  );
}

export interface TaskView {
  taskId: string;
  status: string;
  text: string;
  usage: { inputTokens: number; outputTokens: number; costMicros: number; estimated: boolean } | null;
}

/** Polls chat.task until the task leaves running/queued (bounded; any instance may answer). */
export async function untilSettled(
  visitor: Visitor,
  baseUrls: () => string[],
  taskId: string,
  timeoutMs: number,
): Promise<TaskView> {
  const end = Date.now() + timeoutMs;
  let last = "";
  for (let i = 0; Date.now() < end; i++) {
    const urls = baseUrls();
    const r = await visitor.query<TaskView>(urls[i % urls.length]!, "chat.task", { taskId });
    if (r.ok && r.data.status !== "running" && r.data.status !== "queued") return r.data;
    last = r.ok ? r.data.status : `${r.status} ${r.code}`;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`task ${taskId} still ${last} after ${timeoutMs} ms`);
}

export interface SendOutcome {
  /** The final answer: an admission, or a refusal that retrying does not change. */
  final: CallResult<{ taskId: string }>;
  /** Answers that made the client retry: 5xx, 409 for a given-up key, connection failures. */
  retried: CallFailure[];
}

/**
 * chat.send as a careful client does it: a connection failure is retried with the same idempotency
 * key (the first try may have been admitted), a 5xx with a fresh one (the server gave the
 * reservation back), and so is a 409 for a key that was given up (a retried key whose first try
 * failed after all). Exponential backoff with jitter, bounded in attempts; `pick` chooses the
 * instance for each attempt.
 */
export async function sendWithRetries(
  visitor: Visitor,
  pick: (attempt: number) => string,
  input: { content: string; key: string },
  maxAttempts = 10,
): Promise<SendOutcome> {
  const retried: CallFailure[] = [];
  let key = input.key;
  for (let attempt = 0; ; attempt++) {
    const r = await visitor.mutate<{ taskId: string }>(pick(attempt), "chat.send", {
      provider: "local-demo",
      model: "demo-1",
      content: input.content,
      idempotencyKey: key,
    });
    if (r.ok || !(r.status === 0 || r.status >= 500 || r.status === 409) || attempt + 1 >= maxAttempts) {
      return { final: r, retried };
    }
    retried.push(r);
    if (r.status !== 0) key = `${input.key}.retry${attempt + 1}`;
    const backoff = Math.min(250 * 2 ** attempt, 4_000);
    await new Promise((res) => setTimeout(res, backoff / 2 + Math.random() * backoff));
  }
}
