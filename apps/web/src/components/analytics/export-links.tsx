import type { GroupBy, ResolvedRange } from "./date-range.ts";
import { exportHref } from "./use-analytics-filters.ts";

/** Plain links: the server answers with an attachment, so the browser downloads without script. */
export function ExportLinks({ range, groupBy }: { range: ResolvedRange; groupBy: GroupBy }) {
  return (
    <div className="flex gap-2" role="group" aria-label="Export">
      <a className="btn" href={exportHref("csv", range, groupBy)} download>
        Export CSV
      </a>
      <a className="btn" href={exportHref("json", range, groupBy)} download>
        Export JSON
      </a>
    </div>
  );
}
