import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** tRPC takes queries by GET and mutations by POST (HEAD is answered with no body). */
const TRPC_METHODS = ["GET", "HEAD", "POST"];
/** Everything else (the SPA, health, the export) is read-only, unless a route says otherwise. */
const READ_METHODS = ["GET", "HEAD"];
/** The OpenAI-compatible API: each route its own method; other /v1 paths are its 404. */
const OPENAI_ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/v1/chat/completions": ["POST"],
  "/v1/models": ["GET", "HEAD"],
};

/**
 * Answers 405 with an Allow header when a resource is asked with a method it
 * does not take (TRACE, PUT, DELETE, OPTIONS…). Before this, TRACE reached
 * the tRPC adapter, whose Fetch Request refuses the method: a 500 and an error
 * in the log. An unknown /api/ path stays a 404 whatever the method.
 * Returns true when it answered.
 */
export function refuseUnsupportedMethod(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply): boolean {
  const pathname = req.url.split("?", 1)[0]!;
  const trpc = pathname === "/api/trpc" || pathname.startsWith("/api/trpc/");
  if (pathname.startsWith("/v1/") && !Object.hasOwn(OPENAI_ROUTES, pathname)) return false;
  const allowed = trpc ? TRPC_METHODS : (OPENAI_ROUTES[pathname] ?? READ_METHODS);
  if (allowed.includes(req.method)) return false;
  if (!trpc && pathname.startsWith("/api/") && !app.hasRoute({ method: "GET", url: pathname })) return false;
  void reply
    .code(405)
    .header("allow", allowed.join(", "))
    .send({
      error: {
        code: "METHOD_NOT_SUPPORTED",
        message: `${req.method} is not supported here; use ${allowed.filter((m) => m !== "HEAD").join(" or ")}.`,
      },
    });
  return true;
}
