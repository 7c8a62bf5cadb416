/** Concurrent callers with the same key share one run of the work. */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  has(key: string): boolean {
    return this.running.has(key);
  }

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const started = Promise.resolve()
      .then(work)
      .finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}
