import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings the service runs with, set once at start before the load begins.
 *
 * Allocation-site pretenuring off: V8 may decide that the objects made at one place in the code
 * live long and allocate them straight in the old generation. For a request path whose objects
 * live for a few milliseconds that decision is wrong, and costly: every dead pretenured object
 * keeps the young objects it points to alive until the next full GC, so each minor GC copies them.
 * Under a steady 1,712 assignments a second the service fell into that state in 11 of 31 runs
 * (a third of each minor GC's young objects surviving, about 2.4 MB, and GC pauses of 318-585 ms
 * per 10 s against 106-171 ms); with pretenuring off, in none of 18 (105-153 ms; scripts/README.md).
 */
export function applyRuntimeFlags(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
