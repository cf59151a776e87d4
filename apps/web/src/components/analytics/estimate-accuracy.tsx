import { formatInt } from "./format.ts";
import type { ModelAccuracy, ProfileUsage } from "./types.ts";

function errorText(p: number): string {
  if (p === 0) return "exact";
  return p > 0 ? `+${p.toFixed(1)} % (over-reserved)` : `${p.toFixed(1)} % (under-reserved)`;
}

/** How close admission's token estimates came to what providers reported, per model. */
export function EstimateAccuracy({ usage }: { usage: ProfileUsage }) {
  const rows: ModelAccuracy[] = usage.estimateAccuracyByModel;
  if (rows.length === 0) {
    return <p className="text-sm text-muted">No settled requests with an estimate in this range.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" aria-label="Estimate accuracy by model">
        <thead>
          <tr className="border-b border-line text-left text-ink">
            <th scope="col" className="py-2 font-medium">
              Model
            </th>
            <th scope="col" className="text-right font-medium">
              Settled
            </th>
            <th scope="col" className="text-right font-medium">
              Counted locally
            </th>
            <th scope="col" className="text-right font-medium">
              Token estimate error
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.provider}/${r.model}`} className="border-b border-line/60">
              <th scope="row" className="py-2 text-left font-normal text-ink">
                {r.provider}/{r.model}
              </th>
              <td className="text-right tabular-nums">{formatInt(r.settledRequests)}</td>
              <td className="text-right tabular-nums">{formatInt(r.estimatedRequests)}</td>
              <td className="text-right tabular-nums">{errorText(r.tokenErrorPercent)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {usage.estimateAccuracy && (
        <p className="mt-2 text-xs text-muted">
          Overall: {errorText(usage.estimateAccuracy.tokenErrorPercent)} over{" "}
          {formatInt(usage.estimateAccuracy.settledRequests)} requests. “Counted locally” are requests whose provider
          reported no usage, so our tokenizer’s count was recorded.
        </p>
      )}
    </div>
  );
}
