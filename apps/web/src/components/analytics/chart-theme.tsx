import type { ReactNode } from "react";

// Mid-tone colours read on both the light and the dark background; axes and grid use currentColor
// so they follow the surrounding text colour of the theme.
export const SERIES_COLORS = ["#0284c7", "#8b5cf6", "#f59e0b", "#10b981", "#f43f5e", "#64748b", "#14b8a6", "#d946ef"];
export const INPUT_COLOR = "#0284c7";
export const OUTPUT_COLOR = "#8b5cf6";
export const REQUEST_COLOR = "#10b981";
export const COST_COLOR = "#f59e0b";
export const BLOCKED_COLOR = "#f43f5e";

export const colorAt = (i: number): string => SERIES_COLORS[i % SERIES_COLORS.length] ?? "#64748b";

export const axisTick = { fill: "currentColor", fontSize: 12 } as const;
export const gridProps = { stroke: "currentColor", strokeOpacity: 0.15, vertical: false } as const;

export interface TooltipRow {
  name: string;
  value: string;
  color: string;
}

/** Tooltip body styled by the theme (recharts' default is white in dark mode too). */
export function TooltipBox({ title, rows, footer }: { title: string; rows: TooltipRow[]; footer?: ReactNode }) {
  return (
    <div className="rounded-md border border-line bg-surface-2 px-3 py-2 text-xs text-ink shadow-md">
      <p className="mb-1 font-semibold">{title}</p>
      <ul>
        {rows.map((r) => (
          <li key={r.name} className="flex items-center gap-2">
            <span
              aria-hidden="true"
              className="inline-block size-2 rounded-full"
              style={{ backgroundColor: r.color }}
            />
            <span>{r.name}</span>
            <span className="ml-auto pl-3 tabular-nums">{r.value}</span>
          </li>
        ))}
      </ul>
      {footer}
    </div>
  );
}

/** The chart's frame: a figure whose caption summarises the data for screen readers. */
export function ChartFigure({ label, summary, children }: { label: string; summary: string; children: ReactNode }) {
  return (
    <figure aria-label={label} className="text-muted">
      {children}
      <figcaption className="sr-only">{summary}</figcaption>
    </figure>
  );
}
