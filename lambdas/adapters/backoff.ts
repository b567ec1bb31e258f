/** Exponential backoff with full jitter (AWS Architecture Blog): a random delay in [0, min(cap, base × 2^(n-1))). */
export function fullJitterDelay(
  attempt: number,
  limits: { readonly base: number; readonly cap: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(limits.cap, limits.base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
