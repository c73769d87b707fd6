// When to refresh the access token: before it expires, with room for a slow network, never in a
// tight loop. Pure, so it is unit-tested.

/** Milliseconds after receiving a token that lives `expiresIn` seconds to refresh it: a minute
 * early for ordinary lifetimes, at 80% of very short ones, and not sooner than one second. */
export function refreshDelayMs(expiresIn: number): number {
  const seconds = Math.max(expiresIn - 60, expiresIn * 0.8);
  return Math.max(1000, Math.round(seconds * 1000));
}
