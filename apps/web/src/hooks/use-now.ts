import { useEffect, useState } from "react";

/** The current time, re-rendering every `intervalMs` (countdowns, "Today"/"Yesterday" labels). */
export function useNow(intervalMs: number, enabled = true): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (!enabled) return;
    const tick = () => setNow(new Date());
    // At once as well: `now` may be stale from the last time the clock ran.
    const first = window.setTimeout(tick, 0);
    const id = window.setInterval(tick, intervalMs);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(id);
    };
  }, [intervalMs, enabled]);
  return now;
}
