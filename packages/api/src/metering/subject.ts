import type { Subject, TierName } from "@wavelength/shared";
import type { LimitRowSpec } from "./types.ts";

/** Who usage is counted against: `user:<id>`, `anon:<anonymousId>`, `ip:<hash>` or `key:<apiKeyId>`. */
export type SubjectKey = Subject;

export interface SubjectRef {
  key: SubjectKey;
  tier: TierName;
  /** IANA zone whose midnight starts the subject's windows. */
  timeZone: string;
  /**
   * The subject's own limits when they are not its tier's: an API key's (`key:<id>`), which its
   * rows are created from on first use. Absent: the tier's (or the address cap for `ip:`).
   */
  limits?: readonly LimitRowSpec[];
}
