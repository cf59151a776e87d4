import { describe, expect, it } from "vitest";
import { BadInput, checkTrpcInput, jsonShapeProblem } from "../src/request-input.ts";

describe("bounding JSON before it is parsed", () => {
  it("counts nesting outside strings only, escaped quotes included", () => {
    expect(jsonShapeProblem(`{"a":[[["x"]]]}`, 4)).toBeNull();
    expect(jsonShapeProblem(`{"a":[[[["x"]]]]}`, 4)).toMatch(/deeper than 4/);
    expect(jsonShapeProblem(JSON.stringify({ text: '[[[[[{{{{{ " [[[[ \\' }), 2)).toBeNull();
    expect(jsonShapeProblem(JSON.stringify({ text: "a,b,c,d,e,f" }), 32, 2)).toBeNull();
    expect(jsonShapeProblem("[1,2,3,4]", 32, 3)).toMatch(/more than 3 values/);
  });

  it("stops at the first level too deep, without reading the rest", () => {
    // An unterminated string after the bound would otherwise keep the scan going to the end.
    expect(jsonShapeProblem(`${"[".repeat(40)}"${"x".repeat(1_000_000)}`)).toMatch(/deeper than 32/);
  });

  it("checks tRPC's envelope, one per call of a batch", () => {
    expect(() => checkTrpcInput(`{"json":{"a":1}}`, null, "The body")).not.toThrow();
    expect(() => checkTrpcInput(`{"0":{"json":1},"1":{}}`, 2, "The body")).not.toThrow();
    expect(() => checkTrpcInput(`{"json":1,"meta":{"values":{"a":["Date"]},"v":1}}`, null, "The body")).not.toThrow();
    expect(() => checkTrpcInput(`[{"json":1}]`, 1, "The body")).toThrow(BadInput);
    expect(() => checkTrpcInput(`{"01":{"json":1}}`, 2, "The body")).toThrow(/no call "01"/);
    expect(() => checkTrpcInput(`{"json":1,"meta":{"values":1}}`, null, "The body")).toThrow(/meta.values/);
    expect(() => checkTrpcInput(`{"json":1,"meta":{"x":1}}`, null, "The body")).toThrow(/unexpected field "x"/);
  });
});
