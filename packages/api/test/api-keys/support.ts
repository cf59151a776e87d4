import type { CompletionSink } from "../../src/index.ts";

/** What the endpoint wrote for one request, as a test reads it. */
export interface Recorded {
  status: number | null;
  headers: Record<string, string>;
  body: unknown;
  /** SSE events' data, in order ("[DONE]" included). */
  events: string[];
  ended: boolean;
}

/** A sink in memory; `disconnect()` plays a client that hangs up, as does `hangUpAfterEvents`. */
export function memorySink(options: { hangUpAfterEvents?: number } = {}): {
  sink: CompletionSink;
  result: Recorded;
  disconnect(): void;
} {
  const gone = new AbortController();
  const result: Recorded = { status: null, headers: {}, body: null, events: [], ended: false };
  return {
    result,
    disconnect: () => gone.abort(),
    sink: {
      closed: gone.signal,
      json(status, headers, body) {
        if (gone.signal.aborted) return;
        Object.assign(result, { status, headers, body, ended: true });
      },
      startStream(headers) {
        if (gone.signal.aborted) return;
        Object.assign(result, { status: 200, headers });
      },
      write(data) {
        if (gone.signal.aborted) return;
        for (const line of data.split("\n\n")) if (line.startsWith("data: ")) result.events.push(line.slice(6));
        if (options.hangUpAfterEvents !== undefined && result.events.length >= options.hangUpAfterEvents) gone.abort();
      },
      end() {
        result.ended = true;
      },
    },
  };
}
