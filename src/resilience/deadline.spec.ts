import { SourceError } from '../core/source-error';
import { deadlineIn, settleWithin, withTimeout } from './deadline';

describe('the deadline helper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const never = new Promise<never>(() => undefined);

  it('answers with the work when it settles first, and clears its timer', async () => {
    await expect(settleWithin(Promise.resolve('done'), 1000, () => 'late')).resolves.toBe('done');
    await expect(settleWithin(Promise.reject(new Error('refused')), 1000, () => 'late')).rejects.toThrow('refused');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('answers with what the deadline returns, or rejects with what it throws, when the work is slower', async () => {
    const resolved = settleWithin(never, 1000, () => 'late');
    const rejected = settleWithin(never, 1000, () => {
      throw new SourceError('TIMEOUT', 'too slow');
    });
    jest.advanceTimersByTime(999);
    await Promise.resolve();
    expect(jest.getTimerCount()).toBe(2);
    jest.advanceTimersByTime(1);
    await expect(resolved).resolves.toBe('late');
    await expect(rejected).rejects.toMatchObject({ code: 'TIMEOUT', message: 'too slow' });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('lets several races share one deadline, which runs its action once', async () => {
    const atDeadline = jest.fn(() => 'passed');
    const deadline = deadlineIn(500, atDeadline);
    const races = [Promise.race([never, deadline.passed]), Promise.race([never, deadline.passed])];
    jest.advanceTimersByTime(500);
    await expect(Promise.all(races)).resolves.toEqual(['passed', 'passed']);
    expect(atDeadline).toHaveBeenCalledTimes(1);
  });

  it('never runs the action of a cleared deadline', () => {
    const atDeadline = jest.fn();
    deadlineIn(500, atDeadline).clear();
    jest.advanceTimersByTime(1000);
    expect(atDeadline).not.toHaveBeenCalled();
  });

  it('withTimeout rejects with a TIMEOUT naming the work, at once when no time is left', async () => {
    await expect(withTimeout(never, 0, 'signing in')).rejects.toMatchObject({ code: 'TIMEOUT', message: 'no time left for signing in' });
    const late = withTimeout(never, 200, 'signing in');
    jest.advanceTimersByTime(200);
    await expect(late).rejects.toMatchObject({ code: 'TIMEOUT', message: 'signing in took longer than 200 ms' });
    await expect(withTimeout(Promise.resolve(7), 200, 'signing in')).resolves.toBe(7);
  });
});
