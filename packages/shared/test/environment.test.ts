import { expect, test } from "vitest";

test("tests run in a non-UTC zone so host-zone bugs show", () => {
  expect(process.env.TZ).toBe("America/Los_Angeles");
  expect(new Date(0).getTimezoneOffset()).not.toBe(0);
});
