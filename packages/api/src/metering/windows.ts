import { tierLimits, windowBounds, type LimitSpec, type TierName } from "@wavelength/shared";
import type { SubjectRef } from "./subject.ts";
import type { LimitRowSpec, SubjectWindows, WindowBounds } from "./types.ts";

// Window maths through Intl costs ~0.1 ms; admissions ask for the same zone's
// windows thousands of times a day. A day's windows hold until its end.
const cache = new Map<string, { daily: WindowBounds; monthly: WindowBounds }>();

export function windowsFor(subject: Pick<SubjectRef, "key" | "timeZone">, now: Date): SubjectWindows {
  let w = cache.get(subject.timeZone);
  if (!w || now < w.daily.start || now >= w.daily.resetsAt) {
    w = {
      daily: windowBounds("daily", now, subject.timeZone),
      monthly: windowBounds("monthly", now, subject.timeZone),
    };
    if (cache.size > 1_000) cache.clear();
    cache.set(subject.timeZone, w);
  }
  return { subject: subject.key, timezone: subject.timeZone, daily: w.daily, monthly: w.monthly };
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
