import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV3 } from "@ai-sdk/provider";
import { providerSchema } from "@wavelength/shared";
import {
  DEFAULT_ANTHROPIC_MODELS,
  DEFAULT_OPENAI_MODELS,
  DEMO_MODEL_INFO,
  anthropicModelInfo,
  compatibleModelInfo,
  openaiModelInfo,
} from "./catalog.ts";
import { DemoLanguageModel } from "./demo-model.ts";
import { streamModel } from "./stream-model.ts";
import {
  ProviderError,
  type ModelInfo,
  type ProviderConfig,
  type ProviderRegistry,
  type StreamEvent,
  type StreamRequest,
} from "./types.ts";

export { toProviderError } from "./provider-errors.ts";
export { toProviderUsage } from "./stream-model.ts";

/** What a human sees ~15 ms per token from a hosted model. */
const DEFAULT_DEMO_TOKEN_DELAY_MS = 15;

const RESERVED_PROVIDER_IDS = new Set(["openai", "anthropic", DEMO_MODEL_INFO.provider]);

interface Entry {
  info: ModelInfo;
  languageModel(): LanguageModelV3;
}

/**
 * The configured models, in picker order: hosted providers first, the offline demo last (it is the
 * only one when no provider is configured). Throws on a configuration mistake, at start-up.
 */
export function createProviderRegistry(config: ProviderConfig): ProviderRegistry {
  const entries: Entry[] = [];

  if (config.openai) {
    const openai = createOpenAI({ apiKey: config.openai.apiKey, baseURL: config.openai.baseURL });
    for (const model of unique(config.openai.models ?? DEFAULT_OPENAI_MODELS)) {
      // Chat Completions rather than the Responses API: it is what OpenAI-compatible servers and
      // our fake server speak, and it reports usage in the stream's last chunk.
      entries.push({ info: openaiModelInfo(model), languageModel: () => openai.chat(model) });
    }
  }

  if (config.anthropic) {
    const anthropic = createAnthropic({ apiKey: config.anthropic.apiKey, baseURL: config.anthropic.baseURL });
    for (const model of unique(config.anthropic.models ?? DEFAULT_ANTHROPIC_MODELS)) {
      entries.push({ info: anthropicModelInfo(model), languageModel: () => anthropic.languageModel(model) });
    }
  }

  if (config.openaiCompatible) {
    const { name, baseURL, apiKey, models } = config.openaiCompatible;
    if (!providerSchema.safeParse(name).success || RESERVED_PROVIDER_IDS.has(name)) {
      throw new Error(`OpenAI-compatible provider id "${name}" is invalid or reserved`);
    }
    // includeUsage: without stream_options.include_usage, Ollama and vLLM report no usage at all.
    const compatible = createOpenAICompatible({ name, baseURL, apiKey, includeUsage: true });
    for (const model of unique(models)) {
      entries.push({
        info: compatibleModelInfo(name, model, config.openaiCompatible),
        languageModel: () => compatible.chatModel(model),
      });
    }
  }

  if (config.demo?.enabled ?? true) {
    const demo = new DemoLanguageModel({
      tokenDelayMs: config.demo?.tokenDelayMs ?? DEFAULT_DEMO_TOKEN_DELAY_MS,
      replyWords: config.demo?.replyWords,
    });
    entries.push({ info: DEMO_MODEL_INFO, languageModel: () => demo });
  }

  const byKey = new Map(entries.map((e) => [key(e.info.provider, e.info.model), e]));
  const infos = entries.map((e) => e.info);

  return {
    models: () => infos.map((info) => ({ ...info })),
    find: (provider, model) => {
      const info = byKey.get(key(provider, model))?.info;
      return info && { ...info };
    },
    stream: (request) => {
      const entry = byKey.get(key(request.provider, request.model));
      if (!entry) return unknownModel(request);
      return streamModel(entry.languageModel(), entry.info.provider, request);
    },
  };
}

// An async generator, so that the error surfaces on the first read, as for any other failure.
// eslint-disable-next-line require-yield
async function* unknownModel(request: StreamRequest): AsyncGenerator<StreamEvent> {
  throw new ProviderError(`Unknown model ${request.provider}/${request.model}`);
}

function key(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

function unique(models: readonly string[]): string[] {
  return [...new Set(models)];
}
