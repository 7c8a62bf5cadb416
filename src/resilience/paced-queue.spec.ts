import { InFlight, PacedQueue } from './paced-queue';

describe('PacedQueue', () => {
  const held = () => {
    const releases: Array<() => void> = [];
    const work = () => new Promise<void>((resolve) => releases.push(resolve));
    return { releases, work };
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('runs at most limit at once, first come first served, and all in the end', async () => {
    const queue = new PacedQueue(3);
    const { releases, work } = held();
    const order: number[] = [];
    const done = Array.from({ length: 7 }, (_, i) => queue.run(() => (order.push(i), work())));
    expect(releases).toHaveLength(3);
    releases[1]!();
    await turn();
    expect(releases).toHaveLength(4);
    for (let i = 0; i < 7; i += 1) {
      releases[i]!();
      await turn();
    }
    await Promise.all(done);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('makes way for what runs elsewhere with the right of way, and goes on once it ends', async () => {
    const requests = new InFlight();
    const queue = new PacedQueue(3, () => requests.value);
    requests.onEnd(() => queue.wake());
    let signInDone!: () => void;
    const signIn = requests.track(new Promise<void>((resolve) => (signInDone = resolve)));
    const { releases, work } = held();
    const done = Array.from({ length: 3 }, () => queue.run(work));
    expect(releases).toHaveLength(2);
    signInDone();
    await signIn;
    expect(releases).toHaveLength(3);
    releases.forEach((release) => release());
    await Promise.all(done);
  });

  it('passes on what the work answers, and its failure', async () => {
    const queue = new PacedQueue(1);
    await expect(queue.run(async () => 42)).resolves.toBe(42);
    await expect(queue.run(async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(queue.run(async () => 'next')).resolves.toBe('next');
  });
});
