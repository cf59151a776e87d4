import {
  tierLimits,
  windowBounds,
  type LimitSpec,
  type TierName,
} from "@wavelength/shared";
import type { SubjectRef } from "./subject.ts";
import type { LimitRowSpec, SubjectWindows } from "./types.ts";

export function windowsFor(
  subject: Pick<SubjectRef, "key" | "timeZone">,
  now: Date,
): SubjectWindows {
  return {
    subject: subject.key,
    timezone: subject.timeZone,
    daily: windowBounds("daily", now, subject.timeZone),
    monthly: windowBounds("monthly", now, subject.timeZone),
  };
}

export function toRowSpec(l: LimitSpec): LimitRowSpec {
  return {
    window: l.window,
    scope: l.scope,
    provider: l.provider ?? "",
    model: l.model ?? "",
    requests: l.requests,
    tokens: l.tokens,
    costMicros: l.costMicros,
  };
}

export function tierRowSpecs(tier: TierName): LimitRowSpec[] {
  return tierLimits(tier).map(toRowSpec);
}
