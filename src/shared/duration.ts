const MS = { W: 7 * 86_400_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;

/**
 * ISO 8601 durations of fixed length only: weeks, days, hours, minutes and seconds (the last may have a fraction).
 * Years and months are refused: their length depends on the calendar date they start from.
 */
const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/**
 * A duration in milliseconds, written as an ISO 8601 duration (`P7D`, `PT12H`, `P1DT30M`, `PT1.5S`) or as whole
 * milliseconds (`604800000`); undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toUpperCase();
  if (/^\d+$/.test(value)) return Number(value);
  const match = ISO_DURATION.exec(value);
  // `P` and `P…T` alone match the pattern but name no amount.
  if (!match || value === 'P' || value.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  const amounts = [
    [weeks, MS.W],
    [days, MS.D],
    [hours, MS.H],
    [minutes, MS.M],
    [seconds, MS.S],
  ] as const;
  return Math.round(
    amounts.reduce((sum, [amount, unit]) => sum + (amount ? Number(amount.replace(',', '.')) * unit : 0), 0),
  );
}
