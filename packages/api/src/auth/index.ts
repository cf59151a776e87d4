// The auth module's public surface. Lucia stays behind it: nothing outside src/auth imports "lucia".

export { AuthService, SESSION_COOKIE_NAME, SESSION_LIFETIME_MS, type AuthServiceOptions } from "./auth-service.ts";
export { hashPassword, verifyPassword, needsRehash, PASSWORD_HASH_OPTIONS } from "./password.ts";
export {
  DEFAULT_SIGN_IN_THROTTLE,
  SignInThrottle,
  accountThrottleKey,
  addressThrottleKey,
  type SignInThrottlePolicy,
  type ThrottleDecision,
  type ThrottleRule,
  type ThrottleScope,
} from "./throttle.ts";
export type { AuthSession, AuthUser, RequestMeta, SessionCookie, SignedIn, ValidatedSession } from "./types.ts";
