import fc from "fast-check";

const now = Date.now();
const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
const DAY = 86_400_000;

/**
 * A valid input per procedure, the starting point of mutations (a mutation of
 * a valid input gets past more of the schema than random JSON does). A
 * procedure missing here is still fuzzed, from `{}` and from random JSON.
 */
export const VALID: Record<string, unknown> = {
  "auth.signUp": { email: "fuzz@x.example", password: "long enough 123", name: "Fuzz", timezone: "Europe/Berlin" },
  "auth.signIn": { email: "fuzz@x.example", password: "long enough 123" },
  "usage.check": { provider: "local-demo", model: "demo-1", estimatedTokens: 10, estimatedCostMicros: 0 },
  "usage.reserve": {
    subject: "anon:fuzz-visitor",
    provider: "local-demo",
    model: "demo-1",
    estimatedTokens: 10,
    estimatedCostMicros: 0,
    idempotencyKey: "fuzz-key-0001",
  },
  "usage.release": { subject: "anon:fuzz-visitor", idempotencyKey: "fuzz-key-0001" },
  "usage.status": {},
  "usage.init": { tier: "free" },
  "usage.sync": {
    subject: "anon:fuzz-visitor",
    records: [
      {
        idempotencyKey: "fuzz-sync-0001",
        provider: "openai",
        model: "gpt-4o-mini",
        inputTokens: 10,
        outputTokens: 5,
        cachedInputTokens: 2,
        costMicros: 100,
        occurredAt: iso(-60_000),
      },
    ],
  },
  "quota.limits": { subject: "user:fuzz" },
  "quota.set": {
    userId: "fuzz-user",
    tier: "pro",
    override: {
      window: "daily",
      scope: "model",
      provider: "openai",
      model: "gpt-4o",
      requests: 10,
      tokens: null,
      costMicros: 1_000,
      expiresAt: iso(DAY),
    },
  },
  "quota.reset": { userId: "fuzz-user", window: "daily" },
  "profile.update": { name: "Fuzz", timezone: "America/Santiago" },
  "profile.usage": { from: iso(-7 * DAY), to: iso(0), granularity: "day", groupBy: "model" },
  "chat.send": {
    provider: "local-demo",
    model: "demo-1",
    content: "hello",
    maxOutputTokens: 16,
    idempotencyKey: "fuzz-chat-0001",
  },
  "chat.task": { taskId: "fuzz-task", cursor: 120 },
  "chat.runningReply": { conversationId: "fuzz-conv" },
  "chat.cancel": { taskId: "fuzz-task" },
  "chat.rename": { conversationId: "fuzz-conv", title: "Renamed" },
  "chat.delete": { conversationId: "fuzz-conv" },
  "chat.messages": { conversationId: "fuzz-conv", limit: 10 },
  "admin.users": { search: "fuzz", limit: 10 },
  "admin.overview": { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" },
  "admin.apiKeys": { search: "fuzz", includeRevoked: true, limit: 10 },
  "admin.revokeApiKey": { id: "fuzz-key" },
  "apiKeys.create": {
    name: "fuzz key",
    expiresAt: iso(30 * DAY),
    limits: { daily: { requests: 100, tokens: 10_000, costMicros: 1_000 }, monthly: { requests: 1_000 } },
    models: ["local-demo/demo-1"],
  },
  "apiKeys.revoke": { id: "fuzz-key" },
};

/** A valid body of POST /v1/chat/completions (not a procedure: the OpenAI-compatible endpoint). */
export const VALID_COMPLETION = {
  model: "local-demo/demo-1",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: [{ type: "text", text: "hello" }] },
  ],
  max_tokens: 8,
  temperature: 0.5,
  stream: false,
  stream_options: { include_usage: true },
  user: "fuzz",
};

/**
 * Text that PostgreSQL cannot store (NUL, an unpaired surrogate) or that
 * plays tricks on screens: tried in every text field of every valid input.
 */
export const HOSTILE_TEXT = ["a\u0000b", "\ud800", "x\udfffy", "\u202egnp.exe", "\uffff", "\u0085\u2028", "🏳️‍🌈"];

/** Values that break naive validation: wrong types, NaN and infinities as strings, huge and negative numbers, odd text. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    -0,
    0.5,
    1e21,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 53,
    2 ** 63,
    10_000_000,
    1_000_000_000_000,
    1_000_000_000_001,
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1",
    "",
    " ",
    "../../etc/passwd",
    "' OR 1=1 --",
    "$1",
    "user:x",
    "ip:x",
    "0000-00-00T00:00:00Z",
    "+275760-09-13T00:00:00.000Z",
    "-271821-04-20T00:00:00.000Z",
    "2026-02-30T25:61:00Z",
    "Etc/GMT+14",
    "+01:00",
    "__proto__",
    [],
    {},
    [null],
    { __proto__: null },
  ),
  fc.integer(),
  fc.double(),
  // NUL is left out while it is a known 500 (see HOSTILE_TEXT in trpc-inputs.test.ts, which covers it).
  fc.string({ unit: "binary", maxLength: 40 }).map((s) => s.replaceAll("\u0000", "")),
  fc.string({ minLength: 200, maxLength: 2_000 }),
  fc.constant("x".repeat(70_000)),
  fc.nat({ max: 2_000 }).map(deep),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A value nested `depth` arrays deep (JSON parsers and recursive validators choke on these). */
function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Mutates a (valid) value at one random place: a field replaced, deleted or added, at any depth. */
function mutateAt(value: Json): fc.Arbitrary<Json> {
  if (isObject(value)) {
    const keys = Object.keys(value);
    const options: fc.Arbitrary<Json>[] = [
      fc.tuple(fc.string({ maxLength: 12 }), nasty).map(([k, v]) => ({ ...value, [k]: v })),
    ];
    if (keys.length > 0) {
      options.push(
        fc.tuple(fc.constantFrom(...keys), nasty).map(([k, v]) => ({ ...value, [k]: v })),
        fc.constantFrom(...keys).map((k) => {
          const { [k]: _gone, ...rest } = value;
          return rest;
        }),
        fc.constantFrom(...keys).chain((k) => mutateAt(value[k]).map((v) => ({ ...value, [k]: v }))),
      );
    }
    return fc.oneof(...options);
  }
  if (Array.isArray(value)) {
    const items: Json[] = value;
    return fc.oneof<fc.Arbitrary<Json>[]>(
      nasty.map((v) => [...items, v]),
      fc.constant([]),
      fc.nat({ max: 150 }).map((n) => Array.from({ length: n }, (_, i) => items[i % Math.max(items.length, 1)])),
      items.length > 0 ? mutateAt(items[0]).map((v) => [v, ...items.slice(1)]) : nasty.map((v) => [v]),
    );
  }
  return nasty;
}

/** Any input a client could send for a procedure whose valid input looks like `valid`. */
export function inputFor(valid: Json): fc.Arbitrary<Json> {
  return fc.oneof(
    { arbitrary: mutateAt(valid), weight: 6 },
    { arbitrary: mutateAt(valid).chain(mutateAt), weight: 2 },
    { arbitrary: fc.constant(valid), weight: 1 },
    { arbitrary: nasty, weight: 2 },
    { arbitrary: fc.jsonValue(), weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

const SUPERJSON_TYPES = [
  "Date",
  "bigint",
  "undefined",
  "number",
  "set",
  "map",
  "regexp",
  "Error",
  "symbol",
  "class",
  "custom",
  "URL",
  "nonsense",
] as const;

/**
 * How the input travels: the transformer's envelope `{ json, meta }` (with
 * made-up type annotations, which superjson acts on when decoding), or
 * without an envelope, as a client without the transformer sends it.
 */
export function envelope(input: Json): fc.Arbitrary<Json> {
  const paths = isObject(input) ? Object.keys(input) : [];
  const annotation = fc.oneof(
    fc.constantFrom(...SUPERJSON_TYPES).map((t) => [t]),
    fc.tuple(fc.constantFrom("class", "custom", "map", "set"), fc.jsonValue({ maxDepth: 1 })),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const path =
    paths.length > 0 ? fc.oneof(fc.constantFrom(...paths), fc.string({ maxLength: 20 })) : fc.string({ maxLength: 20 });
  return fc.oneof(
    { arbitrary: fc.constant({ json: input }), weight: 6 },
    {
      arbitrary: fc
        .dictionary(path, annotation, { minKeys: 1, maxKeys: 3 })
        .map((values) => ({ json: input, meta: { values } })),
      weight: 2,
    },
    { arbitrary: annotation.map((values) => ({ json: input, meta: { values } })), weight: 1 },
    {
      arbitrary: fc
        .dictionary(path, fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), { minKeys: 1, maxKeys: 2 })
        .map((referentialEqualities) => ({ json: input, meta: { referentialEqualities } })),
      weight: 1,
    },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((meta) => ({ json: input, meta })), weight: 1 },
    { arbitrary: fc.constant(input), weight: 2 },
  );
}

type Path = (string | number)[];

/** Paths of every string inside a value. */
export function stringLeaves(value: Json, path: Path = []): Path[] {
  if (typeof value === "string") return [path];
  if (Array.isArray(value)) return (value as Json[]).flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

/** A copy of `value` with `replacement` at `path`. */
export function replaceAt(value: Json, path: Path, replacement: Json): Json {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value)) return value.map((v: Json, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  if (isObject(value)) return { ...value, [head]: replaceAt(value[head], rest, replacement) };
  return value;
}
