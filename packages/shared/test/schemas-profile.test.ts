import { describe, expect, test } from "vitest";
import { profileUpdateInput, profileUsageInput } from "../src/index.ts";
import { expectRefused, expectUnknownFieldRefused } from "./schema-helpers.ts";

describe("profileUpdateInput", () => {
  test("trims the name and canonicalises the zone", () => {
    expect(
      profileUpdateInput.parse({
        name: "  Ada Lovelace ",
        timezone: "europe/berlin",
      }),
    ).toEqual({
      name: "Ada Lovelace",
      timezone: "Europe/Berlin",
    });
    expect(profileUpdateInput.parse({})).toEqual({});
  });

  test("name is 1..80 characters after trimming", () => {
    expect(profileUpdateInput.safeParse({ name: "a".repeat(80) }).success).toBe(true);
    expectRefused(profileUpdateInput, { name: "a".repeat(81) }, "name");
    expectRefused(profileUpdateInput, { name: "   " }, "name");
    expectRefused(profileUpdateInput, { name: 42 }, "name");
  });

  test("timezone must be a known IANA zone", () => {
    expectRefused(profileUpdateInput, { timezone: "Mars/Olympus_Mons" }, "timezone", "IANA");
    expectRefused(profileUpdateInput, { timezone: "+02:00" }, "timezone");
    expectRefused(profileUpdateInput, { timezone: "x".repeat(200) }, "timezone");
  });

  test("refuses unknown fields, such as a tier", () => {
    expectUnknownFieldRefused(profileUpdateInput, { name: "Ada", tier: "pro" }, "", "tier");
  });
});

describe("profileUsageInput", () => {
  const from = new Date("2026-03-01T00:00:00.000Z");
  const days = (n: number) => new Date(from.getTime() + n * 86_400_000);

  test("accepts Dates or ISO strings; groupBy defaults to none", () => {
    expect(profileUsageInput.parse({ from, to: days(30), granularity: "day" })).toEqual({
      from,
      to: days(30),
      granularity: "day",
      groupBy: "none",
    });
    const parsed = profileUsageInput.parse({
      from: "2026-03-01T00:00:00Z",
      to: "2026-03-02T00:00:00+01:00",
      granularity: "hour",
      groupBy: "model",
    });
    expect(parsed.to).toEqual(new Date("2026-03-01T23:00:00.000Z"));
  });

  test("to must be after from", () => {
    expectRefused(profileUsageInput, { from, to: from, granularity: "day" }, "to", "after from");
    expectRefused(profileUsageInput, { from: days(1), to: from, granularity: "day" }, "to");
  });

  test("at most 400 days; hourly at most 31 days", () => {
    expect(profileUsageInput.safeParse({ from, to: days(400), granularity: "day" }).success).toBe(true);
    expectRefused(
      profileUsageInput,
      { from, to: new Date(days(400).getTime() + 1), granularity: "day" },
      "to",
      "400 days",
    );
    expect(profileUsageInput.safeParse({ from, to: days(31), granularity: "hour" }).success).toBe(true);
    expectRefused(profileUsageInput, { from, to: days(32), granularity: "hour" }, "granularity", "31 days");
  });

  test("refuses invalid dates and enums with the field path", () => {
    expectRefused(profileUsageInput, { from: new Date(Number.NaN), to: days(1), granularity: "day" }, "from");
    expectRefused(profileUsageInput, { from, to: Number.POSITIVE_INFINITY, granularity: "day" }, "to");
    expectRefused(profileUsageInput, { from, to: days(1), granularity: "minute" }, "granularity");
    expectRefused(profileUsageInput, { from, to: days(1), granularity: "day", groupBy: "user" }, "groupBy");
    expectRefused(profileUsageInput, { to: days(1), granularity: "day" }, "from");
  });

  test("refuses unknown fields", () => {
    expectUnknownFieldRefused(
      profileUsageInput,
      { from, to: days(1), granularity: "day", userId: "u_2" },
      "",
      "userId",
    );
  });
});
