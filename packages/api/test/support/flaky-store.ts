import type { MeteringStore } from "../../src/metering/index.ts";

/**
 * A real store with a switch that makes every call fail like a lost
 * connection: fault injection for fail modes and the outbox.
 */
export function flaky(store: MeteringStore): MeteringStore & { down: boolean } {
  const state = { down: false };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "down") return state.down;
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (state.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(_target, prop, value) {
      if (prop === "down") {
        state.down = Boolean(value);
        return true;
      }
      return false;
    },
  }) as MeteringStore & { down: boolean };
}
