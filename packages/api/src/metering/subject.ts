import type { Subject, TierName } from "@wavelength/shared";

/** Who usage is counted against: `user:<id>`, `anon:<anonymousId>` or `ip:<hash>`. */
export type SubjectKey = Subject;

export interface SubjectRef {
  key: SubjectKey;
  tier: TierName;
  /** IANA zone whose midnight starts the subject's windows. */
  timeZone: string;
}
