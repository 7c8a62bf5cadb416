import { RepeatGuard } from './idempotency';

describe('RepeatGuard', () => {
  const key = RepeatGuard.keyOf(['acme', 'CallFlow', 'incoming', '41789072228', '41446681800', '2026-11-24T09:15:00.000Z']);

  it('runs the work once for sequential repeats and returns the first result', async () => {
    const guard = new RepeatGuard<string>();
    const work = jest.fn(async () => 'task-1');
    const first = guard.run('acme', key, work);
    expect(await first.result).toBe('task-1');
    const repeat = guard.run('acme', key, work);
    expect(await repeat.result).toBe('task-1');
    expect(repeat.isRepeat).toBe(true);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('runs the work once for concurrent repeats', async () => {
    const guard = new RepeatGuard<string>();
    let release: (value: string) => void = () => undefined;
    const work = jest.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const runs = Array.from({ length: 5 }, () => guard.run('acme', key, work));
    await Promise.resolve();
    release('task-1');
    expect(await Promise.all(runs.map((r) => r.result))).toEqual(Array(5).fill('task-1'));
    expect(runs.map((r) => r.isRepeat)).toEqual([false, true, true, true, true]);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('forgets a failed first request, so its retry writes', async () => {
    const guard = new RepeatGuard<string>();
    const first = guard.run('acme', key, async () => Promise.reject(new Error('CRM down')));
    await expect(first.result).rejects.toThrow('CRM down');
    const retry = guard.run('acme', key, async () => 'task-2');
    expect(retry.isRepeat).toBe(false);
    expect(await retry.result).toBe('task-2');
  });

  it('runs again once the window has passed', async () => {
    let now = 0;
    const guard = new RepeatGuard<string>(600_000, () => now);
    let runs = 0;
    const work = jest.fn(async (): Promise<string> => `task-${++runs}`);
    await guard.run('acme', key, work).result;
    now = 599_999;
    expect(guard.run('acme', key, work).isRepeat).toBe(true);
    now = 600_001;
    const later = guard.run('acme', key, work);
    expect(later.isRepeat).toBe(false);
    expect(await later.result).toBe('task-2');
    expect(guard.sizeOf('acme')).toBe(1);
  });

  it('keeps different calls apart', async () => {
    const guard = new RepeatGuard<string>();
    const other = RepeatGuard.keyOf(['acme', 'CallFlow', 'incoming', '41789072228', '41446681800', '2026-11-24T09:16:00.000Z']);
    await guard.run('acme', key, async () => 'a').result;
    expect(guard.run('acme', other, async () => 'b').isRepeat).toBe(false);
  });

  it('keeps the same call of two tenants apart', async () => {
    const guard = new RepeatGuard<string>();
    await guard.run('acme', key, async () => 'a').result;
    expect(guard.run('globex', key, async () => 'b').isRepeat).toBe(false);
  });

  it("bounds each tenant's memory: a flood of first requests evicts only that tenant's oldest calls", async () => {
    const guard = new RepeatGuard<string>(600_000, Date.now, 100);
    await guard.run('quiet', key, async () => 'quiet-call').result;
    for (let i = 0; i < 1000; i++) await guard.run('noisy', RepeatGuard.keyOf(['noisy', String(i)]), async () => `call-${i}`).result;
    expect(guard.sizeOf('noisy')).toBe(100);
    expect(guard.run('quiet', key, async () => 'written again').isRepeat).toBe(true);
    // The noisy tenant's newest calls are still guarded; its oldest were forgotten.
    expect(guard.run('noisy', RepeatGuard.keyOf(['noisy', '999']), async () => 'again').isRepeat).toBe(true);
    expect(guard.run('noisy', RepeatGuard.keyOf(['noisy', '0']), async () => 'again').isRepeat).toBe(false);
  });
});
