import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "@wavelength/db";

describe("isDatabaseUnavailable", () => {
  it("recognises lost connections, a stopped server and an exhausted pool, wrapped or not", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code: "57P01" }))).toBe(true);
    expect(
      isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })),
    ).toBe(true);
    expect(
      isDatabaseUnavailable({ code: "P2024", message: "Timed out fetching a new connection from the connection pool" }),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(new Error("Transaction API error: Unable to start a transaction in the given time.")),
    ).toBe(true);
    expect(
      isDatabaseUnavailable({ message: "wrapped", meta: { driverAdapterError: { cause: { code: "08006" } } } }),
    ).toBe(true);
  });

  it("leaves real bugs and constraint errors alone", () => {
    expect(isDatabaseUnavailable(new TypeError("cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable({ code: "P2002", message: "Unique constraint failed" })).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});
