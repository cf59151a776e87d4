import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@wavelength/api";

type Outputs = inferRouterOutputs<AppRouter>;

export type AdminUser = Outputs["admin"]["users"][number];
export type SystemHealth = Outputs["admin"]["health"];
export type SystemOverview = Outputs["admin"]["overview"];
