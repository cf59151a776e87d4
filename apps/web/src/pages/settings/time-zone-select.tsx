import { useMemo } from "react";

function allTimeZones(current: string): string[] {
  // Chromium's list omits the alias "UTC"; keep it and the current value selectable.
  const zones = new Set(Intl.supportedValuesOf("timeZone"));
  zones.add("UTC");
  zones.add(current);
  return [...zones].sort((a, b) => a.localeCompare(b));
}

/** "Europe/Berlin (UTC+01:00)": the offset helps pick between zones with similar names. */
function offsetLabel(zone: string, now: Date): string {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(now)
      .find((p) => p.type === "timeZoneName")?.value;
    return part === "GMT" ? "UTC±00:00" : (part?.replace("GMT", "UTC") ?? "");
  } catch {
    return "";
  }
}

export function TimeZoneSelect({
  id,
  value,
  onChange,
  describedBy,
}: {
  id: string;
  value: string;
  onChange: (zone: string) => void;
  describedBy?: string;
}) {
  const options = useMemo(() => {
    const now = new Date();
    return allTimeZones(value).map((z) => ({ zone: z, label: `${z.replaceAll("_", " ")} (${offsetLabel(z, now)})` }));
  }, [value]);
  return (
    <select
      id={id}
      className="field"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-describedby={describedBy}
    >
      {options.map((o) => (
        <option key={o.zone} value={o.zone}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
