import type { ProviderRegistry, StreamEvent, StreamRequest } from "../../src/providers/index.ts";

export interface Collected {
  text: string;
  deltas: string[];
  events: StreamEvent[];
  finish: Extract<StreamEvent, { type: "finish" }> | undefined;
  error: unknown;
}

/** Drains a stream, keeping what arrived before a failure; `onText` may abort mid-stream. */
export async function collect(
  registry: ProviderRegistry,
  request: Omit<StreamRequest, "abortSignal"> & { abortSignal?: AbortSignal },
  onText?: (delta: string, index: number) => void,
): Promise<Collected> {
  const out: Collected = { text: "", deltas: [], events: [], finish: undefined, error: undefined };
  try {
    for await (const event of registry.stream({ abortSignal: new AbortController().signal, ...request })) {
      out.events.push(event);
      if (event.type === "text") {
        out.text += event.delta;
        out.deltas.push(event.delta);
        onText?.(event.delta, out.deltas.length - 1);
      } else {
        out.finish = event;
      }
    }
  } catch (error) {
    out.error = error;
  }
  return out;
}
