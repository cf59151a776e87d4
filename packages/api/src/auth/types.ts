// What the auth module hands out: plain, serialisable values, so that callers (routers, the HTTP
// server, the operator CLI) never see a Lucia type.

/** The signed-in account as every caller sees it. */
export interface AuthUser {
  id: string;
  email: string;
  name: string | null;
  tier: "free" | "pro";
  role: "user" | "admin";
  /** IANA zone in which the user's daily and monthly windows reset. */
  timezone: string;
}

export interface AuthSession {
  id: string;
  userId: string;
  /** Sliding: each validation in the second half of the lifetime moves it forward by a full lifetime. */
  expiresAt: Date;
}

/** A cookie for the server to set, in the shape of @fastify/cookie's `setCookie(name, value, options)`. */
export interface SessionCookie {
  name: string;
  value: string;
  attributes: {
    httpOnly: true;
    secure: boolean;
    sameSite: "lax";
    path: string;
    /** Seconds; 0 deletes the cookie. */
    maxAge: number;
  };
}

/** What the auth service needs to know about the HTTP request behind a call. */
export interface RequestMeta {
  /** Keyed hash of the client address (never the address), or null when unknown. */
  ipHash: string | null;
  /** Whether the request came over HTTPS; decides the cookie's Secure flag when `secureCookies` is "auto". */
  https?: boolean;
  /** The device cookie the browser sent (sign-in: its own failure budget; see device-cookie.ts). */
  deviceCookie?: string | null;
}

export interface SignedIn {
  user: AuthUser;
  session: AuthSession;
  cookie: SessionCookie;
  /** Marks this browser as one the account signed in from (OWASP device cookie). */
  deviceCookie: SessionCookie;
}

export interface ValidatedSession {
  user: AuthUser;
  session: AuthSession;
  /** Set when the session's expiry moved forward: the server must send it so the browser's copy lives on too. */
  refreshCookie: SessionCookie | null;
}
