/**
 * adapter-pg reports a unique violation as Prisma's P2002; the PGlite adapter
 * as a DriverAdapterError whose cause carries SQLSTATE 23505. Recognise both.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; cause?: { code?: unknown; originalCode?: unknown; kind?: unknown } };
  if (e.code === "P2002" || e.code === "23505") return true;
  const cause = e.cause;
  return cause?.code === "23505" || cause?.originalCode === "23505" || cause?.kind === "UniqueConstraintViolation";
}
