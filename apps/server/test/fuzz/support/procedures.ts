import { appRouter } from "@wavelength/api";

/** Every procedure of the router, with its type: a procedure added later is fuzzed without a change here. */
export const PROCEDURES = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
).map(([path, p]) => ({ path, type: p._def.type }));
