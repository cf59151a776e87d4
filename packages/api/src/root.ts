import { adminRouter } from "./routers/admin.ts";
import { apiKeysRouter } from "./routers/api-keys.ts";
import { authRouter } from "./routers/auth.ts";
import { chatRouter } from "./routers/chat.ts";
import { profileRouter } from "./routers/profile.ts";
import { quotaRouter } from "./routers/quota.ts";
import { usageRouter } from "./routers/usage.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  usage: usageRouter,
  quota: quotaRouter,
  profile: profileRouter,
  chat: chatRouter,
  admin: adminRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
