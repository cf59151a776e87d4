import type { ReactNode } from "react";

/** A titled panel of the analytics page; the heading names the region for screen readers. */
export function Card({
  id,
  title,
  description,
  actions,
  children,
  className = "",
}: {
  id: string;
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      data-testid={id}
      className={`rounded-xl border border-line bg-surface p-4 shadow-sm ${className}`}
    >
      <div className="mb-3 flex flex-wrap items-start justify-between gap-2">
        <div>
          <h2 id={`${id}-heading`} className="text-base font-semibold text-ink">
            {title}
          </h2>
          {description && <p className="text-sm text-muted">{description}</p>}
        </div>
        {actions}
      </div>
      {children}
    </section>
  );
}
