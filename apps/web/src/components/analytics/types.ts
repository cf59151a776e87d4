import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@wavelength/api";

type Outputs = inferRouterOutputs<AppRouter>;

export type ProfileUsage = Outputs["profile"]["usage"];
export type UsageSeriesPoint = ProfileUsage["series"][number];
export type ModelAccuracy = ProfileUsage["estimateAccuracyByModel"][number];
