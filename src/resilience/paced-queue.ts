/**
 * Work that must not all run at once, in the background: at most `limit` at a time, counting with it
 * what `othersRunning` says is running elsewhere and has the right of way (requests that cannot wait).
 * First come, first served; `wake` when the others' count went down.
 */
export class PacedQueue {
  private readonly waiting: Array<() => void> = [];
  private running = 0;

  constructor(
    private readonly limit: number,
    private readonly othersRunning: () => number = () => 0,
  ) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.running += 1;
        work()
          .then(resolve, reject)
          .finally(() => {
            this.running -= 1;
            this.wake();
          });
      });
      this.wake();
    });
  }

  /** Starts what the limit now has room for. */
  wake(): void {
    while (this.waiting.length > 0 && this.running + this.othersRunning() < this.limit) this.waiting.shift()!();
  }
}

/**
 * How many of something are in flight, and a listener told each time one ends: the sign-ins requests are
 * waiting for, which the background warm-ups make way for (`PacedQueue`).
 */
export class InFlight {
  private count = 0;
  private readonly endListeners: Array<() => void> = [];

  get value(): number {
    return this.count;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.count += 1;
    return work.finally(() => {
      this.count -= 1;
      for (const listener of this.endListeners) listener();
    });
  }

  /** Answers how to stop listening. */
  onEnd(listener: () => void): () => void {
    this.endListeners.push(listener);
    return () => {
      const at = this.endListeners.indexOf(listener);
      if (at !== -1) this.endListeners.splice(at, 1);
    };
  }
}

/** Sign-ins a lookup or a workflow is waiting for (a tenant not warmed up yet, an expired session). */
export const SIGN_INS_FOR_REQUESTS = new InFlight();
