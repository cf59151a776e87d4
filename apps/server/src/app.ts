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
  DATABASE_RETRY_AFTER_SECONDS,
  createInnerContext,
  outageError,
  resolveAnonymous,
  retryAfterSeconds,
  systemQuotaHealth,
  userIdentity,
  type OutgoingCookie,
  type AppRouter,
  type Context,
  type Services,
} from "@wavelength/api";
import { APP_ERROR_CODES, isAppError } from "@wavelength/shared";
import { TRPCError } from "@trpc/server";
import { existingAnonymousId, issueAnonymousId } from "./anonymous-cookie.ts";
import { clientAddress, hashAddress } from "./client-address.ts";
import type { Env } from "./env.ts";
import { clientErrorBody } from "./http-errors.ts";
import { refuseUnsupportedMethod } from "./methods.ts";
import { BODY_LIMIT_BYTES, checkTrpcInput, parseBoundedJson } from "./request-input.ts";
import { registerOpenAIRoutes } from "./routes/openai-compat.ts";
import { registerExportRoute } from "./routes/usage-export.ts";
import { isSameOrigin } from "./same-origin.ts";
import { registerSecurityHeaders } from "./security-headers.ts";

export const MAX_BATCH_SIZE = 20;

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

  // First: its onRequest hook puts the headers on every reply, refusals by later hooks included.
  await registerSecurityHeaders(app, options.webDist);
  await app.register(fastifyCookie, { secret: env.SESSION_SECRET });

  // JSON only: no form posts, so a cross-site form cannot reach a mutation. (tRPC's routes bring
  // their own parser, which hands the text on unparsed: the preValidation hook below bounds it.)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, body === "" ? undefined : parseBoundedJson(body as string, "The body"));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  const originPolicy = { trustedProxies: env.TRUSTED_PROXIES, httpsOnly: env.COOKIE_SECURE === "always" };
  app.addHook("onRequest", async (req, reply) => {
    if (refuseUnsupportedMethod(app, req, reply)) return reply;
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
    if (req.method !== "GET" && req.method !== "HEAD" && !isSameOrigin(req, originPolicy)) {
      return reply.code(403).send({ error: { code: "CROSS_ORIGIN", message: "Cross-origin request refused." } });
    }
  });

  // tRPC's input, bounded and in its envelope before tRPC parses it (see request-input.ts).
  app.addHook("preValidation", async (req) => {
    if (!req.url.startsWith("/api/trpc/")) return;
    const url = new URL(req.url, "http://host");
    const batchSize = url.searchParams.get("batch") === "1" ? url.pathname.split(",").length : null;
    if (req.method === "POST" && typeof req.body === "string") checkTrpcInput(req.body, batchSize, "The body");
    if (req.method === "GET") {
      for (const input of url.searchParams.getAll("input")) checkTrpcInput(input, batchSize, "The input parameter");
    }
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
    // An AppError (or a tRPC error carrying one, as contextFor throws) keeps its status.
    const known = isAppError(error) ? error : isAppError(error.cause) ? error.cause : null;
    const clientError = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    const outage = known || clientError ? null : await outageError(services.db, error);
    const status = known ? known.httpStatus : clientError ? error.statusCode! : outage ? 503 : 500;
    if (status === 500) req.log.error({ err: error }, "request failed");
    if (status === 503) void reply.header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
    const body =
      status === 500
        ? { code: "INTERNAL", message: `Internal server error (request ${req.id})` }
        : status === 503
          ? { code: "SERVICE_UNAVAILABLE", message: DATABASE_DOWN }
          : known
            ? { code: known.code, message: known.message }
            : clientErrorBody(error, status);
    return reply.code(status).send({ error: { ...body, requestId: req.id } });
  });

  const secureCookies = (req: { protocol: string }) =>
    env.COOKIE_SECURE === "always" ? true : env.COOKIE_SECURE === "never" ? false : req.protocol === "https";

  /** Who is calling (session, else anonymous visitor), for tRPC and the plain HTTP routes alike. */
  async function contextFor(req: FastifyRequest, res: FastifyReply): Promise<Context> {
    try {
      return await buildContext(req, res);
    } catch (error) {
      // Without the database no caller can be identified: a 503 to retry, not a 500.
      const outage = await outageError(services.db, error);
      if (outage) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: DATABASE_DOWN, cause: outage });
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
    // A visitor gets the cookie at once; its database row only when it first does something that counts.
    const existing = existingAnonymousId(req);
    const guest = session ? existing : (existing ?? issueAnonymousId(res, secure));
    const header = req.headers["x-time-zone"];
    const operatorToken = bearerMatches(req.headers.authorization, env.ADMIN_TOKEN);
    const identity = session
      ? userIdentity(session.user)
      : await resolveAnonymous(services, {
          anonymousId: guest!,
          ipHash,
          timeZone: typeof header === "string" ? header : null,
          fresh: existing === null,
        });
    return createInnerContext({
      services,
      identity,
      isAdmin: operatorToken,
      isService: operatorToken,
      requestId: req.id,
      request: {
        anonymousId: guest,
        ipHash,
        sessionId: session?.session.id ?? null,
        deviceCookie: req.cookies[services.auth.deviceCookieName] ?? null,
      },
      cookies: { set: setCookie },
    });
  }

  await app.register(fastifyTRPCPlugin, {
    prefix: "/api/trpc",
    trpcOptions: {
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ req, res }) => contextFor(req, res),
      responseMeta({ errors }) {
        const seconds = retryAfterSeconds(errors);
        return seconds === null ? {} : { headers: { "retry-after": String(seconds) } };
      },
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
        .header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS))
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
      if ((req.method === "GET" || req.method === "HEAD") && !req.url.startsWith("/api/")) {
        return reply.sendFile("index.html");
      }
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
