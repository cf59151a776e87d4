export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { DATABASE_DOWN } from "./trpc.ts";
export { createServices, type Services, type ServiceOptions } from "./services.ts";
export { createInnerContext, type Context, type OutgoingCookie, type RequestInfo } from "./context.ts";
export {
  COUNTED_PROCEDURES,
  UNUSED_ANONYMOUS_RETENTION_MS,
  ensureAnonymousSession,
  resolveAnonymous,
  sweepUnusedAnonymousSessions,
  type AnonymousRequest,
} from "./accounts/anonymous-sessions.ts";
export { DATABASE_RETRY_AFTER_SECONDS, outageError } from "./database-down.ts";
export { retryAfterSeconds } from "./error-mapping.ts";
export { subjectOf, coSubjectsOf, userIdentity, type Identity } from "./identity.ts";
export {
  hashPassword,
  verifyPassword,
  AuthService,
  DEFAULT_PROOF_OF_WORK,
  DEFAULT_SIGN_UP_THROTTLE,
  type AuthUser,
  type ProofOfWorkPolicy,
  type SignUpThrottlePolicy,
} from "./auth/index.ts";
export { migrateAnonymous, type MigrationResult } from "./accounts/migrate-anonymous.ts";
export { systemQuotaHealth, type SystemQuotaHealth } from "./health.ts";
export { profileUsage } from "./routers/profile-usage.ts";
export * from "./metering/index.ts";
export type { ProviderConfig, ModelInfo, ChatMessage } from "./providers/index.ts";
export { ChatService } from "./chat/chat-service.ts";
export { ApiKeyService, type AuthenticatedKey, type KeyAuthentication } from "./api-keys/api-key-service.ts";
export { OpenAICompatService, type CompletionSink } from "./openai-compat/completions.ts";
export { OpenAIError, unauthorized as openAIUnauthorized } from "./openai-compat/errors.ts";
export { parseAliases } from "./openai-compat/models.ts";
export { apiLedgerKey, apiKeyIdOf } from "./metering/provenance.ts";
