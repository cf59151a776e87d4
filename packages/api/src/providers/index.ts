export {
  ProviderError,
  isAbortError,
  isProviderError,
  type ChatMessage,
  type ModelInfo,
  type OpenAICompatibleConfig,
  type ProviderConfig,
  type ProviderRegistry,
  type ProviderUsage,
  type StreamEvent,
  type StreamRequest,
} from "./types.ts";
export { createProviderRegistry } from "./registry.ts";
export { countPromptTokens, countTextTokens } from "./tokens.ts";
export { DEMO_MODEL, DEMO_PROVIDER, demoReply } from "./demo-model.ts";
export { DEFAULT_ANTHROPIC_MODELS, DEFAULT_OPENAI_MODELS, DEMO_MODEL_INFO } from "./catalog.ts";
