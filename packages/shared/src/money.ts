// Money is integer micro-dollars everywhere (database BigInt, engine, API) so that sums never drift;
// dollars exist only at the edges: config written by humans and text shown to them.

export const MICROS_PER_DOLLAR = 1_000_000;

const MICROS_PER_CENT = 10_000;

/** Converts a dollar amount to integer micro-dollars, rounding half away from zero. */
export function dollarsToMicros(dollars: number): number {
  if (!Number.isFinite(dollars)) throw new RangeError(`Not a finite dollar amount: ${dollars}`);
  const micros = Math.sign(dollars) * Math.round(Math.abs(dollars) * MICROS_PER_DOLLAR);
  if (!Number.isSafeInteger(micros)) throw new RangeError(`Dollar amount too large: ${dollars}`);
  return micros === 0 ? 0 : micros; // never hand out -0
}

/**
 * "$5.00", "$1,234.50", "-$0.25". Amounts of a cent or more are shown to the cent; smaller non-zero
 * amounts keep every significant micro-dollar ("$0.0012", "$0.000001") because a single chat
 * request often costs less than a cent and "$0.00" would hide it.
 */
export function formatMicros(micros: number): string {
  if (!Number.isFinite(micros)) throw new RangeError(`Not a finite micro-dollar amount: ${micros}`);
  const rounded = Math.round(Math.abs(micros));
  const sign = micros < 0 && rounded !== 0 ? "-" : "";
  if (rounded !== 0 && rounded < MICROS_PER_CENT) {
    const fraction = String(rounded).padStart(6, "0").replace(/0+$/, "");
    return `${sign}$0.${fraction}`;
  }
  const cents = Math.round(rounded / MICROS_PER_CENT);
  const dollars = Math.floor(cents / 100);
  const grouped = String(dollars).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}$${grouped}.${String(cents % 100).padStart(2, "0")}`;
}
