// Quota subjects are strings so that one table and one code path serve signed-in users, anonymous
// sessions, the per-address abuse cap and an API key's own lower limits alike.

export type SubjectKind = "user" | "anon" | "ip" | "key";
export type Subject = `${SubjectKind}:${string}`;

export const SUBJECT_PATTERN = /^(user|anon|ip|key):[A-Za-z0-9_-]{1,128}$/;

export function userSubject(userId: string): Subject {
  return `user:${userId}`;
}

export function anonSubject(anonymousId: string): Subject {
  return `anon:${anonymousId}`;
}

/** `ipHash` must already be a keyed hash: raw client addresses are never stored. */
export function ipSubject(ipHash: string): Subject {
  return `ip:${ipHash}`;
}

/** An API key's own limits, stacked on its owner's in the same admission. */
export function apiKeySubject(apiKeyId: string): Subject {
  return `key:${apiKeyId}`;
}

export function parseSubject(subject: string): { kind: SubjectKind; id: string } | null {
  const match = SUBJECT_PATTERN.exec(subject);
  if (!match) return null;
  return {
    kind: match[1] as SubjectKind,
    id: subject.slice(subject.indexOf(":") + 1),
  };
}
