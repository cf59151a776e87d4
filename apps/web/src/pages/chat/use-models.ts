import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@wavelength/api";
import { useCallback, useMemo, useState } from "react";
import { readStore, writeStore } from "../../lib/local-store.ts";
import { trpc } from "../../trpc.ts";

export type ChatModel = inferRouterOutputs<AppRouter>["chat"]["models"][number];

const KEY = "wl-model";
const idOf = (m: { provider: string; model: string }) => `${m.provider}/${m.model}`;

/** The configured models and the one picked (remembered; falls back to the first usable one). */
export function useModels() {
  const models = trpc.chat.models.useQuery(undefined, { staleTime: 60_000 });
  const [wanted, setWanted] = useState<string | null>(() =>
    readStore(KEY, (raw) => (typeof raw === "string" ? raw : null)),
  );

  const selected = useMemo(() => {
    const list = models.data ?? [];
    const usable = list.filter((m) => m.allowed);
    return usable.find((m) => idOf(m) === wanted) ?? usable.find((m) => m.demo) ?? usable[0] ?? null;
  }, [models.data, wanted]);

  const select = useCallback((id: string) => {
    setWanted(id);
    writeStore(KEY, id);
  }, []);

  return { models: models.data ?? [], isLoading: models.isLoading, selected, select, idOf };
}
