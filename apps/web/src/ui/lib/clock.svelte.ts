/** A shared "now" that ticks once a second, so ages and countdowns move without each row owning a timer. */
export class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(tickMs = 1000) {
    if (typeof setInterval === 'function' && tickMs > 0) {
      this.#timer = setInterval(() => {
        this.now = Date.now();
      }, tickMs);
    }
  }

  /** Stop ticking. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
