import type { TierName } from "@wavelength/shared";
import type { SubjectRef } from "./metering/index.ts";

/** Who is calling. Sessions (accounts) resolve to `user`; everyone else is an anonymous visitor. */
export type Identity =
  | {
      kind: "user";
      userId: string;
      email: string;
      tier: Exclude<TierName, "anonymous">;
      role: "user" | "admin";
      timeZone: string;
    }
  | { kind: "anonymous"; anonymousId: string; ipHash: string | null; timeZone: string };

/** The identity of a signed-in account, from the auth module's user. */
export function userIdentity(user: {
  id: string;
  email: string;
  tier: Exclude<TierName, "anonymous">;
  role: "user" | "admin";
  timezone: string;
}): Identity {
  return {
    kind: "user",
    userId: user.id,
    email: user.email,
    tier: user.tier,
    role: user.role,
    timeZone: user.timezone,
  };
}

export function subjectOf(identity: Identity): SubjectRef {
  return identity.kind === "user"
    ? { key: `user:${identity.userId}`, tier: identity.tier, timeZone: identity.timeZone }
    : { key: `anon:${identity.anonymousId}`, tier: "anonymous", timeZone: identity.timeZone };
}

/** Subjects that must also have room: an anonymous visitor's address cap. */
export function coSubjectsOf(identity: Identity): SubjectRef[] {
  if (identity.kind !== "anonymous" || identity.ipHash === null) return [];
  return [{ key: `ip:${identity.ipHash}`, tier: "anonymous", timeZone: "UTC" }];
}
