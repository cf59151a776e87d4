/** A new conversation's title: its first message on one line, cut to fit the sidebar. */
export function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, " ").trim();
  return line.length <= 60 ? line : `${line.slice(0, 57)}…`;
}
