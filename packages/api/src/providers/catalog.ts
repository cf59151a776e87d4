import { DEMO_CONTEXT_WINDOW, DEMO_MODEL, DEMO_PROVIDER } from "./demo-model.ts";
import type { ModelInfo } from "./types.ts";

type KnownModel = Omit<ModelInfo, "provider" | "model" | "demo">;

export const DEMO_MODEL_INFO: ModelInfo = {
  provider: DEMO_PROVIDER,
  model: DEMO_MODEL,
  label: "Demo (offline)",
  contextWindow: DEMO_CONTEXT_WINDOW,
  maxOutputTokens: 1_024,
  demo: true,
};

export const DEFAULT_OPENAI_MODELS = ["gpt-4o", "gpt-4o-mini"];
export const DEFAULT_ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-opus-4-1"];

// Published limits of the models we list by default; a configured model not named here gets the
// family's context window and a modest output cap rather than a guess at its real limits.
const OPENAI_MODELS: Readonly<Record<string, KnownModel>> = {
  "gpt-4o": { label: "GPT-4o", contextWindow: 128_000, maxOutputTokens: 16_384 },
  "gpt-4o-mini": { label: "GPT-4o mini", contextWindow: 128_000, maxOutputTokens: 16_384 },
};

const ANTHROPIC_MODELS: Readonly<Record<string, KnownModel>> = {
  "claude-sonnet-4-5": { label: "Claude Sonnet 4.5", contextWindow: 200_000, maxOutputTokens: 64_000 },
  "claude-opus-4-1": { label: "Claude Opus 4.1", contextWindow: 200_000, maxOutputTokens: 32_000 },
};

const UNKNOWN_MODEL_MAX_OUTPUT = 4_096;

export function openaiModelInfo(model: string): ModelInfo {
  const known = OPENAI_MODELS[model] ?? {
    label: model,
    contextWindow: 128_000,
    maxOutputTokens: UNKNOWN_MODEL_MAX_OUTPUT,
  };
  return { provider: "openai", model, demo: false, ...known };
}

export function anthropicModelInfo(model: string): ModelInfo {
  const known = ANTHROPIC_MODELS[model] ?? {
    label: model,
    contextWindow: 200_000,
    maxOutputTokens: UNKNOWN_MODEL_MAX_OUTPUT,
  };
  return { provider: "anthropic", model, demo: false, ...known };
}

export function compatibleModelInfo(
  provider: string,
  model: string,
  options: { label?: string; contextWindow?: number; maxOutputTokens?: number },
): ModelInfo {
  return {
    provider,
    model,
    label: `${model} (${options.label ?? provider})`,
    contextWindow: options.contextWindow ?? 8_192,
    maxOutputTokens: options.maxOutputTokens ?? 2_048,
    demo: false,
  };
}
