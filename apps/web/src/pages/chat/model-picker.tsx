import { formatMicros } from "@wavelength/shared";
import { useId } from "react";
import type { ChatModel } from "./use-models.ts";

function contextLabel(tokens: number): string {
  return tokens >= 1_000_000 ? `${tokens / 1_000_000}M` : `${Math.round(tokens / 1000)}k`;
}

/** "$2.50 / $10.00 per 1M tokens (in / out)", or "free" for the demo model. */
export function priceLabel(m: ChatModel): string {
  const { inputPerMillionMicros: i, outputPerMillionMicros: o } = m.price;
  if (i === 0 && o === 0) return "free";
  return `${formatMicros(i)} / ${formatMicros(o)} per 1M tokens`;
}

export function modelSummary(m: ChatModel): string {
  return `${m.provider} · ${contextLabel(m.contextWindow)} context · ${priceLabel(m)}`;
}

/**
 * A native select: keyboard and screen-reader support for free. Models the plan may not use stay
 * listed, disabled, with the server's reason.
 */
export function ModelPicker({
  models,
  selected,
  onSelect,
}: {
  models: ChatModel[];
  selected: ChatModel | null;
  onSelect: (id: string) => void;
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="flex min-w-0 items-center gap-2">
      <label htmlFor={id} className="sr-only">
        Model
      </label>
      <select
        id={id}
        className="border-line bg-surface max-w-[12rem] min-w-0 rounded-md border px-2 py-1.5 text-sm sm:max-w-[16rem]"
        value={selected ? `${selected.provider}/${selected.model}` : ""}
        aria-describedby={selected ? hintId : undefined}
        onChange={(e) => onSelect(e.target.value)}
        disabled={models.length === 0}
      >
        {models.length === 0 && <option value="">No models</option>}
        {models.map((m) => (
          <option key={`${m.provider}/${m.model}`} value={`${m.provider}/${m.model}`} disabled={!m.allowed}>
            {m.label} — {modelSummary(m)}
            {m.allowed ? "" : ` — ${m.reason ?? "not available"}`}
          </option>
        ))}
      </select>
      {selected && (
        <span id={hintId} className="text-muted hidden truncate text-xs sm:inline">
          {modelSummary(selected)}
          {selected.price.fallback ? " (estimated price)" : ""}
        </span>
      )}
    </div>
  );
}
