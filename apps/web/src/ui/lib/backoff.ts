/** Reconnect delays: exponential from `base` to `cap`, with full jitter so many browsers don't retry in step. */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  base = 500,
  cap = 15_000,
): number {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
