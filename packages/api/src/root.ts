import { authRouter } from "./routers/auth.ts";
import { profileRouter } from "./routers/profile.ts";
import { quotaRouter } from "./routers/quota.ts";
import { usageRouter } from "./routers/usage.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  usage: usageRouter,
  quota: quotaRouter,
  profile: profileRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
