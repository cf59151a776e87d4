export type DateGroup = "Today" | "Yesterday" | "Previous 7 days" | "Older";

const ORDER: readonly DateGroup[] = ["Today", "Yesterday", "Previous 7 days", "Older"];

function startOfLocalDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Which sidebar group a conversation last active at `at` belongs to, by the browser's calendar. */
export function dateGroupOf(at: Date, now: Date): DateGroup {
  const today = startOfLocalDay(now);
  const day = startOfLocalDay(at);
  // Calendar days, not 24 h spans: DST days are 23 or 25 hours long.
  const daysAgo = Math.round((today - day) / 86_400_000);
  if (daysAgo <= 0) return "Today";
  if (daysAgo === 1) return "Yesterday";
  if (daysAgo <= 7) return "Previous 7 days";
  return "Older";
}

/** Groups in display order, each keeping the input order (newest first from the server). */
export function groupByDate<T extends { updatedAt: Date }>(
  items: readonly T[],
  now: Date,
): { group: DateGroup; items: T[] }[] {
  const map = new Map<DateGroup, T[]>();
  for (const item of items) {
    const g = dateGroupOf(item.updatedAt, now);
    const list = map.get(g);
    if (list) list.push(item);
    else map.set(g, [item]);
  }
  return ORDER.filter((g) => map.has(g)).map((group) => ({ group, items: map.get(group) ?? [] }));
}
