export { appRouter, createCaller, type AppRouter } from "./root.ts";
export { createServices, type Services, type ServiceOptions } from "./services.ts";
export { createInnerContext, resolveAnonymous, type Context, type AnonymousRequest } from "./context.ts";
export { subjectOf, coSubjectsOf, type Identity } from "./identity.ts";
export { systemQuotaHealth, type SystemQuotaHealth } from "./health.ts";
export * from "./metering/index.ts";
