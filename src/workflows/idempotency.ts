import { createHash } from 'node:crypto';

export const REPEAT_WINDOW_MS = 10 * 60 * 1000;

interface Entry<T> {
  readonly result: Promise<T>;
  expiresAt: number;
}

/**
 * Runs the first request of a call once. A repeat of it (the CONNECTOR retries on its timeout) within
 * the window gets the first one's result, also while the first is still running. A first request that
 * failed is forgotten, so its retry may write; one still running when the caller gave up is not.
 */
export class RepeatGuard<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly windowMs: number = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  static keyOf(parts: readonly (string | undefined)[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
  }

  /** `isRepeat` tells whether this call shared an earlier run instead of starting one. */
  run(key: string, work: () => Promise<T>): { result: Promise<T>; isRepeat: boolean } {
    this.sweep();
    const existing = this.entries.get(key);
    if (existing) return { result: existing.result, isRepeat: true };

    const result = Promise.resolve().then(work);
    const entry: Entry<T> = { result, expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    result.then(
      () => {
        entry.expiresAt = this.now() + this.windowMs;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return { result, isRepeat: false };
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
