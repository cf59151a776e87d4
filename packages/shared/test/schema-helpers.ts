import { expect } from "vitest";
import type { z } from "zod";

export interface IssueSummary {
  path: string;
  code: string;
  message: string;
  keys?: string[];
}

export function issuesOf(schema: z.ZodType, input: unknown): IssueSummary[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    code: issue.code,
    message: issue.message,
    ...("keys" in issue ? { keys: issue.keys } : {}),
  }));
}

/** Asserts the input is refused with an issue at `path` (and, if given, a message containing `text`). */
export function expectRefused(schema: z.ZodType, input: unknown, path: string, text?: string): void {
  const issues = issuesOf(schema, input);
  expect(issues.length, `expected ${JSON.stringify(input)} to be refused`).toBeGreaterThan(0);
  const match = issues.find((i) => i.path === path);
  expect(match, `no issue at "${path}" in ${JSON.stringify(issues)}`).toBeDefined();
  if (text !== undefined) expect(match?.message).toContain(text);
}

/** Asserts an unknown field is refused, naming the field, at the object's `path`. */
export function expectUnknownFieldRefused(schema: z.ZodType, input: unknown, path: string, field: string): void {
  const issue = issuesOf(schema, input).find((i) => i.code === "unrecognized_keys" && i.path === path);
  expect(issue, `no unrecognized_keys issue at "${path}"`).toBeDefined();
  expect(issue?.keys).toContain(field);
}

/** The numeric values every count and amount must refuse. */
export const BAD_NUMBERS: readonly unknown[] = [
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  "5",
  null,
];
