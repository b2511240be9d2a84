import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Batches delivered in one go from which their memory is given back at once (see afterBurst). */
export const BURST_BYTES = 32 * 1024 * 1024;

let gc: (() => void) | null | undefined;

/**
 * One full garbage collection once a burst of batches has been delivered: the first synchronisation of a big
 * table and the snapshot for the hub (100k sessions: ~60 MB of frames). Those frames die only when the hub has
 * acknowledged them, V8 has promoted them to its old generation by then, and with the collector's steady
 * trickle of small allocations (the polls) it collects that generation only on its 100 s watchdog. Measured
 * (bench/tools/profile-collector.ts big): 100k sessions held 230 MB RSS for 105 s, then 130 MB. The collection
 * is made callable (--expose-gc) only the first time a burst needs it. True when it ran.
 */
export function afterBurst(deliveredBytes: number): boolean {
  if (deliveredBytes < BURST_BYTES) return false;
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
  return gc !== null;
}
