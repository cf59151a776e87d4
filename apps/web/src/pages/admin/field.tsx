import { type ReactNode, useId } from "react";

/**
 * A label beside (not around) its control: a wrapping label would fold the select's current
 * option into the control's accessible name ("Window daily monthly").
 */
export function Field({
  label,
  error,
  className = "",
  children,
}: {
  label: string;
  error?: string[] | undefined;
  className?: string;
  children: (props: { id: string; "aria-invalid"?: true; "aria-describedby"?: string }) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={`grid content-start gap-1 ${className}`}>
      <label htmlFor={id} className="text-sm font-medium text-ink">
        {label}
      </label>
      {children({ id, ...(error ? { "aria-invalid": true as const, "aria-describedby": `${id}-error` } : {}) })}
      {error && (
        <p id={`${id}-error`} className="text-xs text-critical">
          {error.join(" ")}
        </p>
      )}
    </div>
  );
}
