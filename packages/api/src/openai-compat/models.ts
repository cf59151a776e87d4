import { isModelAllowed, type TierName } from "@wavelength/shared";
import type { ModelInfo, ProviderRegistry } from "../providers/index.ts";
import { OpenAIError } from "./errors.ts";

/**
 * What a request's `model` names: "provider/model" exactly, else a configured alias
 * ("fast" → "openai/gpt-4o-mini"), else a model id that only one provider serves ("demo-1").
 */
export function resolveModel(
  registry: ProviderRegistry,
  aliases: ReadonlyMap<string, string>,
  requested: string,
): ModelInfo | null {
  const byRef = (ref: string) => {
    const slash = ref.indexOf("/");
    return slash > 0 ? registry.find(ref.slice(0, slash), ref.slice(slash + 1)) : undefined;
  };
  const direct = byRef(requested) ?? byRef(aliases.get(requested) ?? "");
  if (direct) return direct;
  const bare = registry.models().filter((m) => m.model === requested);
  return bare.length === 1 ? bare[0]! : null;
}

export const modelRef = (m: Pick<ModelInfo, "provider" | "model">) => `${m.provider}/${m.model}`;

/**
 * Whether this key may call the model: the owner's plan first, then the key's own list. Refused
 * before admission, so a refused model costs nothing and counts as no request.
 */
export function assertModelUsable(
  info: ModelInfo,
  tier: TierName,
  keyModels: readonly string[],
  requested: string,
): void {
  const ref = modelRef(info);
  if (!isModelAllowed(tier, info.provider, info.model)) {
    throw new OpenAIError(403, `Your plan cannot use ${ref}.`, "invalid_request_error", "model_not_allowed", "model");
  }
  if (keyModels.length > 0 && !keyModels.includes(ref)) {
    throw new OpenAIError(
      403,
      `This API key may not use ${requested === ref ? ref : `${requested} (${ref})`}; it is restricted to ${keyModels.join(", ")}.`,
      "invalid_request_error",
      "model_not_allowed",
      "model",
    );
  }
}

/** Models this key may call, for GET /v1/models. */
export function usableModels(registry: ProviderRegistry, tier: TierName, keyModels: readonly string[]): ModelInfo[] {
  return registry
    .models()
    .filter(
      (m) => isModelAllowed(tier, m.provider, m.model) && (keyModels.length === 0 || keyModels.includes(modelRef(m))),
    );
}

/** "fast=openai/gpt-4o-mini,demo=local-demo/demo-1" as a map (the server validates the syntax). */
export function parseAliases(spec: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of spec.split(",")) {
    const [name, target] = pair.split("=").map((s) => s.trim());
    if (name && target) out.set(name, target);
  }
  return out;
}
