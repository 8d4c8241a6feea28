import { setFlagsFromString } from 'node:v8';

/**
 * The V8 setting a serving process runs with: allocation-site pretenuring off.
 *
 * Why: V8 watches which object literals survive garbage collections and, when most do, allocates them in the old
 * generation from then on. Under saturation a login is in flight for about as long as the gap between two
 * scavenges, so its objects survive and V8 switches their allocation sites to the old generation — and keeps them
 * there when the load drops. Born old, each login's objects then hold the young ones they point to alive until
 * the next full GC: after one burst, the bridge promoted ~330 KB per scavenge at 500 logins/s instead of ~70, ran
 * full GCs every few seconds, and its p99 rose by 15–25 ms.
 * Nothing of the bridge lives long enough for pretenuring to pay: its long-lived state is a few caches.
 *
 * Set before the bridge is built; V8 reads the flag when it collects, so setting it at run time takes effect
 * (measured), which NODE_OPTIONS could not do (it refuses this flag).
 */
export function tuneV8ForServing(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
