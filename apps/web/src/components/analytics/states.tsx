import { Link } from "react-router";

export function Skeleton({ className = "" }: { className?: string }) {
  return <div aria-hidden="true" className={`animate-pulse rounded-md bg-surface-3 ${className}`} />;
}

/** The page's shape while the first response is on its way, so nothing jumps when it lands. */
export function AnalyticsSkeleton() {
  return (
    <div role="status" aria-busy="true" aria-label="Loading your usage" className="grid gap-4">
      <div className="grid grid-cols-2 gap-4 md:grid-cols-4">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} className="h-20" />
        ))}
      </div>
      <Skeleton className="h-72" />
      <Skeleton className="h-72" />
      <div className="grid gap-4 lg:grid-cols-2">
        <Skeleton className="h-56" />
        <Skeleton className="h-56" />
      </div>
      <span className="sr-only">Loading your usage…</span>
    </div>
  );
}

export function EmptyState({ rangeLabel }: { rangeLabel: string }) {
  return (
    <div data-testid="analytics-empty" className="rounded-xl border border-dashed border-line p-8 text-center">
      <p className="text-lg font-medium text-ink">No usage {rangeLabel}</p>
      <p className="mt-1 text-sm text-muted">Charts and tables fill in as you chat. Your quotas are below.</p>
      <Link to="/" className="btn btn-primary mt-4">
        Start a chat
      </Link>
    </div>
  );
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div role="alert" className="rounded-xl border border-critical bg-critical-bg p-4 text-sm text-critical">
      <p className="font-medium">Could not load this part of your usage.</p>
      <p className="mt-1">{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry} className="btn mt-3">
          Try again
        </button>
      )}
    </div>
  );
}
