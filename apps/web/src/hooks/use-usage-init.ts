import { useEffect } from "react";
import { trpc } from "../trpc.ts";

/**
 * Makes sure the caller has its tier's quota rows: on load, and again whenever the identity
 * changes (sign-in, sign-up, sign-out). usage.init is idempotent, so a race is harmless.
 */
export function useUsageInit(identityKey: string | null): void {
  const utils = trpc.useUtils();
  const { mutateAsync: init } = trpc.usage.init.useMutation();
  useEffect(() => {
    if (identityKey === null) return;
    let cancelled = false;
    void (async () => {
      try {
        const needs = await utils.usage.needsInit.fetch(undefined, { staleTime: 0 });
        if (!needs || cancelled) return;
        await init({});
        await utils.usage.status.invalidate();
      } catch {
        // The meter shows its own error; status works without explicit init (rows are made lazily).
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [identityKey, utils, init]);
}
