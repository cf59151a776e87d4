import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, type Db } from "@wavelength/db";
import { AppError } from "@wavelength/shared";
import { outageError } from "../src/index.ts";

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

  // Each of these answered 500 at the edges of the PostgreSQL outage test, or could have.
  it("recognises what a PostgreSQL shutdown and restart throw through node-postgres and Prisma's adapter", () => {
    // A pooled client whose socket died as the server stopped: node-postgres gives no code.
    expect(isDatabaseUnavailable(new Error("Client has encountered a connection error and is not queryable"))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(
      isDatabaseUnavailable(
        new Error("Raw query failed. Code: `57P03`. Message: `the database system is starting up`"),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("sorry, too many clients already"), { code: "53300" }))).toBe(
      true,
    );
    // The adapter's error kinds, as Prisma keeps them on meta.driverAdapterError.cause.
    for (const kind of ["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]) {
      expect(isDatabaseUnavailable({ message: "x", meta: { driverAdapterError: { cause: { kind } } } })).toBe(true);
    }
  });

  it("leaves real bugs and constraint errors alone", () => {
    expect(isDatabaseUnavailable(new TypeError("cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable({ code: "P2002", message: "Unique constraint failed" })).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
    expect(isDatabaseUnavailable({ cause: { kind: "UniqueConstraintViolation" } })).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe("outageError", () => {
  const answering = { $queryRawUnsafe: () => Promise.resolve([{ "?column?": 1 }]) } as unknown as Db;
  const silent = { $queryRawUnsafe: () => Promise.reject(new Error("anything at all")) } as unknown as Db;
  const bug = new TypeError("x is undefined");
  const odd = new Error("Transaction API error: Transaction already closed: A rollback cannot be executed");

  it("is a 503 with a retry hint for a known outage shape, without asking the database", async () => {
    const e = await outageError(answering, new Error("Connection terminated unexpectedly"));
    expect(e).toMatchObject({ code: "QUOTA_STORE_UNAVAILABLE", httpStatus: 503, details: { retryAfterSeconds: 5 } });
  });

  it("asks the database about any other error: a 503 when it does not answer, none when it does", async () => {
    expect(await outageError(silent, odd)).toMatchObject({ code: "QUOTA_STORE_UNAVAILABLE" });
    expect(await outageError(answering, odd)).toBeNull();
    expect(await outageError(answering, bug)).toBeNull();
  });

  it("leaves our own errors as they are", async () => {
    expect(await outageError(silent, new AppError("NOT_FOUND"))).toBeNull();
  });
});
