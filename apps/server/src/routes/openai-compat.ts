import { performance } from "node:perf_hooks";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  OpenAIError,
  openAIUnauthorized,
  type AuthenticatedKey,
  type CompletionSink,
  type Services,
} from "@wavelength/api";
import { isDatabaseUnavailable } from "@wavelength/db";

/** Idempotency-Key as clients send it (a UUID, usually): printable ASCII, bounded. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function bearerOf(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : "";
}

/** Writes an OpenAI-shaped error with fastify (before anything was hijacked). */
function sendError(reply: FastifyReply, error: OpenAIError): FastifyReply {
  return reply.code(error.status).headers(error.headers).send(error.body());
}

/** The response as the endpoint's logic writes it, over the raw socket (streams need it). */
function rawSink(req: FastifyRequest, reply: FastifyReply): CompletionSink {
  void reply.hijack();
  const res = reply.raw;
  const gone = new AbortController();
  // "close" before the response finished: the client hung up (or its connection broke).
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  const common = { "x-request-id": req.id };
  let corked = false;
  return {
    closed: gone.signal,
    json(status, headers, body) {
      if (gone.signal.aborted || res.headersSent) return;
      res.writeHead(status, { ...common, ...headers, "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    },
    startStream(headers) {
      if (gone.signal.aborted || res.headersSent) return;
      res.writeHead(200, {
        ...common,
        ...headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        // Proxies (nginx) must pass tokens on as they come.
        "x-accel-buffering": "no",
      });
      res.flushHeaders();
    },
    write(data) {
      if (gone.signal.aborted || data === "") return;
      // Chunks that arrive together (one network read of the provider's stream) leave in one write
      // at the end of this turn of the event loop, not one system call each.
      if (!corked) {
        corked = true;
        res.cork();
        setImmediate(() => {
          corked = false;
          res.uncork();
        });
      }
      res.write(data);
    },
    end() {
      if (!gone.signal.aborted) res.end();
    },
  };
}

/**
 * The OpenAI-compatible API under /v1: POST /v1/chat/completions and GET /v1/models with a personal
 * API key as the bearer (no cookies are read here). Its own error handler answers in OpenAI's shape,
 * including for bodies fastify refuses (not JSON, too large).
 */
export async function registerOpenAIRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const authMs = new WeakMap<FastifyRequest, number>();
  await app.register(
    async (v1) => {
      v1.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
        const status =
          error.statusCode && error.statusCode >= 400 && error.statusCode < 500
            ? error.statusCode
            : isDatabaseUnavailable(error)
              ? 503
              : 500;
        if (status === 500) req.log.error({ err: error }, "request failed");
        const message =
          status === 500
            ? `The server had an error processing your request (request ${req.id}).`
            : status === 503
              ? "The service is briefly unavailable. Please try again in a moment."
              : error.message;
        void sendError(
          reply,
          new OpenAIError(
            status,
            message,
            status >= 500 ? "server_error" : "invalid_request_error",
            status === 415 ? "unsupported_media_type" : status === 413 ? "request_too_large" : null,
          ),
        );
      });
      v1.setNotFoundHandler((req, reply) =>
        sendError(
          reply,
          new OpenAIError(
            404,
            `Unknown endpoint ${req.method} ${req.url.split("?")[0]}.`,
            "invalid_request_error",
            "unknown_url",
          ),
        ),
      );

      /** The key behind the bearer, or null after answering 401. */
      const authenticate = async (req: FastifyRequest, reply: FastifyReply): Promise<AuthenticatedKey | null> => {
        const started = performance.now();
        const auth = await services.apiKeys.authenticate(bearerOf(req));
        authMs.set(req, performance.now() - started);
        if (auth.ok) return auth.key;
        await sendError(reply, openAIUnauthorized(auth.reason));
        return null;
      };

      v1.get("/models", async (req, reply) => {
        const key = await authenticate(req, reply);
        if (!key) return reply;
        const r = await services.openai.models(key);
        return reply.headers(r.headers).send(r.body);
      });

      v1.post("/chat/completions", async (req, reply) => {
        const key = await authenticate(req, reply);
        if (!key) return reply;
        const idem = req.headers["idempotency-key"];
        if (idem !== undefined && (typeof idem !== "string" || !IDEMPOTENCY_KEY.test(idem))) {
          return sendError(
            reply,
            new OpenAIError(
              400,
              "The Idempotency-Key header must be 1-255 printable ASCII characters.",
              "invalid_request_error",
              "invalid_idempotency_key",
            ),
          );
        }
        await services.openai.completions(key, req.body, idem ?? null, rawSink(req, reply), {
          auth: authMs.get(req) ?? 0,
        });
        return reply;
      });
    },
    { prefix: "/v1" },
  );
}
