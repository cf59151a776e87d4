import { useId } from "react";
import { type ThemeChoice, useTheme } from "../../theme.ts";

export function ThemeSelect() {
  const [theme, setTheme] = useTheme();
  const id = useId();
  return (
    <>
      <label htmlFor={id} className="sr-only">
        Theme
      </label>
      <select
        id={id}
        value={theme}
        onChange={(e) => setTheme(e.target.value as ThemeChoice)}
        className="border-line bg-surface rounded-md border px-1.5 py-1.5 text-sm"
      >
        <option value="system">Auto</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </>
  );
}
