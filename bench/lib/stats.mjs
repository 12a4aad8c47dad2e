/** Small statistics helpers. */

/** The median of a non-empty list of numbers. */
export function median(values) {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of the non-null values, or null when there are none. */
export function medianOrNull(values) {
  const present = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  return present.length === 0 ? null : median(present);
}

/**
 * The median of per-round ratios `numerator[i] / denominator[i]` (rounds in the same order).
 * Each round measures every target within seconds of the others, so pairing them cancels drift
 * of a shared machine that spans rounds; the ratio of the two medians is reported beside it.
 */
export function pairedRatio(numerator, denominator) {
  if (numerator.length !== denominator.length || numerator.length === 0) throw new Error('paired ratio needs rounds of equal, non-zero count');
  return median(numerator.map((value, i) => value / denominator[i]));
}
