// First: it configures zod before the schemas below are built.
import "./zod-in-browsers.ts";

export * from "./dimensions.ts";
export * from "./money.ts";
export * from "./tiers.ts";
export * from "./windows.ts";
export * from "./quota-math.ts";
export * from "./errors.ts";
export * from "./subjects.ts";
export * from "./schemas/primitives.ts";
export * from "./schemas/usage.ts";
export * from "./schemas/quota.ts";
export * from "./schemas/profile.ts";
export * from "./schemas/auth.ts";
export * from "./schemas/chat.ts";
export * from "./schemas/admin.ts";
export * from "./schemas/api-keys.ts";
