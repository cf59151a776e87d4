import { randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import fastifyCookie from "@fastify/cookie";
import fastifyStatic from "@fastify/static";
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import {
  appRouter,
  DATABASE_DOWN,
  createInnerContext,
  resolveAnonymous,
  systemQuotaHealth,
  userIdentity,
  type OutgoingCookie,
  type AppRouter,
  type Context,
  type Services,
} from "@wavelength/api";
import { APP_ERROR_CODES, AppError } from "@wavelength/shared";
import { isDatabaseUnavailable } from "@wavelength/db";
import { TRPCError } from "@trpc/server";
import { anonymousId, existingAnonymousId } from "./anonymous-cookie.ts";
import { clientAddress, hashAddress } from "./client-address.ts";
import type { Env } from "./env.ts";
import { registerOpenAIRoutes } from "./routes/openai-compat.ts";
import { registerExportRoute } from "./routes/usage-export.ts";
import { isSameOrigin } from "./same-origin.ts";

export const MAX_BATCH_SIZE = 20;
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  env: Env;
  services: Services;
  /** Folder of the built SPA; when absent, / serves a short notice. */
  webDist?: string;
  /** Pino options, or false for silence (tests). */
  logger?: boolean | object;
}

/** The session behind the cookie, or null (none, expired or signed out). */
async function signedInUser(services: Services, sessionId: string | undefined) {
  if (!sessionId) return null;
  return services.auth.validate(sessionId);
}

function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith("Bearer ")) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The HTTP host: tRPC at /api/trpc, health, the monitor endpoint, and the SPA. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { env, services } = options;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: env.LOG_LEVEL,
            // Never log credentials or cookies; request bodies (prompts) are not logged at all.
            redact: ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'],
            ...(typeof options.logger === "object" ? options.logger : {}),
          },
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 5000 },
    trustProxy: false,
  });

  await app.register(fastifyCookie, { secret: env.SESSION_SECRET });

  // JSON only: no form posts, so a cross-site form cannot reach a mutation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, body === "" ? undefined : JSON.parse(body as string));
    } catch {
      const err = new Error("Body is not valid JSON") as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  app.addHook("onRequest", async (req, reply) => {
    // The tRPC plugin brings its own body parsers (multipart among them): keep mutations JSON-only there too.
    const type = req.headers["content-type"];
    if (
      req.method === "POST" &&
      req.url.startsWith("/api/trpc") &&
      type !== undefined &&
      !/^application\/json\b/i.test(type)
    ) {
      return reply
        .code(415)
        .send({ error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "Send JSON (application/json)." } });
    }
    if (req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS" && !isSameOrigin(req)) {
      return reply.code(403).send({ error: { code: "CROSS_ORIGIN", message: "Cross-origin request refused." } });
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : isDatabaseUnavailable(error)
          ? 503
          : 500;
    if (status === 500) req.log.error({ err: error }, "request failed");
    const message =
      status === 500
        ? `Internal server error (request ${req.id})`
        : status === 503
          ? "The service is briefly unavailable. Please try again in a moment."
          : error.message;
    void reply.code(status).send({
      error: {
        code:
          status === 415
            ? "UNSUPPORTED_MEDIA_TYPE"
            : status === 503
              ? "SERVICE_UNAVAILABLE"
              : status === 500
                ? "INTERNAL"
                : "BAD_REQUEST",
        message,
        requestId: req.id,
      },
    });
  });

  const secureCookies = (req: { protocol: string }) =>
    env.COOKIE_SECURE === "always" ? true : env.COOKIE_SECURE === "never" ? false : req.protocol === "https";

  /** Who is calling (session, else anonymous visitor), for tRPC and the plain HTTP routes alike. */
  async function contextFor(req: FastifyRequest, res: FastifyReply): Promise<Context> {
    try {
      return await buildContext(req, res);
    } catch (error) {
      // Without the database no caller can be identified: a 503 to retry, not a 500.
      if (isDatabaseUnavailable(error)) {
        const cause = new AppError("QUOTA_STORE_UNAVAILABLE", DATABASE_DOWN, undefined, { cause: error });
        throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: DATABASE_DOWN, cause });
      }
      throw error;
    }
  }

  async function buildContext(req: FastifyRequest, res: FastifyReply): Promise<Context> {
    const secure = secureCookies(req);
    const setCookie = (c: OutgoingCookie) =>
      void res.setCookie(c.name, c.value, { ...c.attributes, secure, httpOnly: true, sameSite: "lax", path: "/" });
    const ipHash = hashAddress(clientAddress(req, env.TRUSTED_PROXIES), env.SESSION_SECRET);
    const session = await signedInUser(services, req.cookies[services.auth.cookieName]);
    if (session?.refreshCookie) setCookie(session.refreshCookie);
    if (session === null && req.cookies[services.auth.cookieName]) setCookie(services.auth.blankCookie());
    // A signed-in user keeps the guest cookie it came with (for the migration) but is not issued one.
    const guest = session ? existingAnonymousId(req) : anonymousId(req, res, secure);
    const header = req.headers["x-time-zone"];
    const operatorToken = bearerMatches(req.headers.authorization, env.ADMIN_TOKEN);
    const identity = session
      ? userIdentity(session.user)
      : await resolveAnonymous(services, {
          anonymousId: guest!,
          ipHash,
          timeZone: typeof header === "string" ? header : null,
        });
    return createInnerContext({
      services,
      identity,
      isAdmin: operatorToken,
      isService: operatorToken,
      requestId: req.id,
      request: { anonymousId: guest, ipHash, sessionId: session?.session.id ?? null },
      cookies: { set: setCookie },
    });
  }

  await app.register(fastifyTRPCPlugin, {
    prefix: "/api/trpc",
    trpcOptions: {
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ req, res }) => contextFor(req, res),
      onError({ error, path, req }) {
        if (error.code === "INTERNAL_SERVER_ERROR")
          req.log.error({ path, err: error.cause?.message ?? error.message }, "tRPC error");
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  registerExportRoute(app, contextFor);
  await registerOpenAIRoutes(app, services);

  app.get("/api/health", async (_req, reply) => {
    try {
      await services.db.$queryRawUnsafe("SELECT 1");
      return { status: "ok", database: "up", time: services.clock.now().toISOString() };
    } catch {
      return reply
        .code(503)
        .send({ status: "unavailable", database: "down", time: services.clock.now().toISOString() });
    }
  });

  app.get("/api/usage/status", async (req, reply) => {
    if (!env.ADMIN_TOKEN)
      return reply
        .code(404)
        .send({ error: { code: "NOT_FOUND", message: "Set ADMIN_TOKEN to enable this endpoint." } });
    if (!bearerMatches(req.headers.authorization, env.ADMIN_TOKEN)) {
      return reply
        .code(APP_ERROR_CODES.UNAUTHENTICATED.httpStatus)
        .header("www-authenticate", "Bearer")
        .send({ error: { code: "UNAUTHENTICATED", message: "Bearer ADMIN_TOKEN required." } });
    }
    const health = await systemQuotaHealth(services);
    return reply.code(health.status === "down" ? 503 : 200).send(health);
  });

  const webDist = options.webDist;
  if (webDist && existsSync(path.join(webDist, "index.html"))) {
    await app.register(fastifyStatic, { root: webDist, wildcard: false });
    // Client-side routes fall back to the SPA; unknown API paths stay 404.
    app.setNotFoundHandler((req, reply) => {
      if (req.method === "GET" && !req.url.startsWith("/api/")) return reply.sendFile("index.html");
      return reply.code(404).send({ error: { code: "NOT_FOUND", message: "Not found" } });
    });
  } else {
    app.get("/", async (_req, reply) =>
      reply
        .type("text/html")
        .send(
          "<!doctype html><title>Wavelength</title><p>Wavelength API is running. Build the web app with <code>npm run build</code>.</p>",
        ),
    );
  }
  return app;
}
