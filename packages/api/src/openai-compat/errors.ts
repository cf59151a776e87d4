/**
 * An answer in OpenAI's error shape (`{ error: { message, type, param, code } }`), which the
 * official SDKs turn into their typed errors (BadRequestError, AuthenticationError,
 * RateLimitError…). Thrown inside the endpoint's logic and written by the HTTP route.
 */
export class OpenAIError extends Error {
  override readonly name = "OpenAIError";

  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra fields inside `error` (e.g. the binding limit of a 429). */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: Record<string, unknown> } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra } };
  }
}

export const badRequest = (message: string, param: string | null, code: string | null = "invalid_value") =>
  new OpenAIError(400, message, "invalid_request_error", code, param);

/** 401 for every key problem; the message says which, so a user knows to make a new key. */
export function unauthorized(reason: "missing" | "invalid" | "revoked" | "expired"): OpenAIError {
  const message = {
    missing: "No API key provided. Send it as 'Authorization: Bearer wl_…' (create one in Settings).",
    invalid: "Incorrect API key provided. Create a key in Settings and send it as a bearer token.",
    revoked: "This API key has been revoked. Create a new key in Settings.",
    expired: "This API key has expired. Create a new key in Settings.",
  }[reason];
  return new OpenAIError(
    401,
    message,
    "invalid_request_error",
    reason === "missing" ? null : `${reason}_api_key`,
    null,
    {},
    {
      "www-authenticate": 'Bearer realm="wavelength"',
    },
  );
}
