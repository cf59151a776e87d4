// The auth module's public surface. Lucia stays behind it: nothing outside src/auth imports "lucia".

export { AuthService, SESSION_COOKIE_NAME, SESSION_LIFETIME_MS, type AuthServiceOptions } from "./auth-service.ts";
export { hashPassword, verifyPassword, needsRehash, PASSWORD_HASH_OPTIONS } from "./password.ts";
export { DEVICE_COOKIE_NAME, DeviceCookies } from "./device-cookie.ts";
export { passwordProblem, WEAK_PASSWORD_MESSAGE } from "./password-policy.ts";
export { DEFAULT_PROOF_OF_WORK, ProofOfWork, type ProofOfWorkPolicy, type ProofVerdict } from "./proof-of-work.ts";
export {
  DEFAULT_SIGN_UP_THROTTLE,
  SITE_SIGN_UP_KEY,
  SignUpThrottle,
  addressSignUpKey,
  type SignUpThrottlePolicy,
} from "./sign-up-throttle.ts";
export {
  DEFAULT_SIGN_IN_THROTTLE,
  SignInThrottle,
  accountThrottleKey,
  addressThrottleKey,
  deviceThrottleKey,
  type SignInThrottlePolicy,
  type ThrottleDecision,
  type ThrottleRule,
  type ThrottleScope,
} from "./throttle.ts";
export type { AuthSession, AuthUser, RequestMeta, SessionCookie, SignedIn, ValidatedSession } from "./types.ts";
