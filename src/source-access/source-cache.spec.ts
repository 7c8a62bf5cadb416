import { factory } from '../../test/support/factory';
import { MatchStrength } from '../phone';
import { SingleFlight } from '../resilience/single-flight';
import { SourceCache } from './source-cache';

const policy = { ttlMs: 60_000, missTtlMs: 30_000, staleMs: 86_400_000 };
const found = [{ candidate: factory.candidate(), strength: MatchStrength.Exact }];

describe('SourceCache', () => {
  let now = 0;
  const cache = new SourceCache(undefined, () => now);
  const key = SourceCache.key('acme', 'salesforce', '+41789072228');

  beforeEach(() => {
    now = 0;
    cache.delete(key);
  });

  it('is fresh for the TTL, then stale until the stale limit, then gone', () => {
    cache.write(key, found, policy);
    now = 59_999;
    expect(cache.read(key, policy)).toEqual({ state: 'fresh', verified: found });
    now = 60_000;
    expect(cache.read(key, policy)?.state).toBe('stale');
    now = 86_399_999;
    expect(cache.read(key, policy)?.state).toBe('stale');
    now = 86_400_000;
    expect(cache.read(key, policy)).toBeUndefined();
  });

  it('keeps "no match" fresh for the shorter miss TTL', () => {
    cache.write(key, [], policy);
    now = 29_999;
    expect(cache.read(key, policy)?.state).toBe('fresh');
    now = 30_000;
    expect(cache.read(key, policy)?.state).toBe('stale');
  });

  it('stores and answers nothing when the TTL is 0', () => {
    cache.write(key, found, { ...policy, ttlMs: 0 });
    expect(cache.read(key, policy)).toBeUndefined();
    cache.write(key, found, policy);
    expect(cache.read(key, { ...policy, ttlMs: 0 })).toBeUndefined();
  });

  it('keeps tenants and sources apart, and forgets a deleted key', () => {
    cache.write(key, found, policy);
    expect(cache.read(SourceCache.key('other', 'salesforce', '+41789072228'), policy)).toBeUndefined();
    expect(cache.read(SourceCache.key('acme', 'hubspot', '+41789072228'), policy)).toBeUndefined();
    cache.delete(key);
    expect(cache.read(key, policy)).toBeUndefined();
  });

  it("gives each tenant its share: one tenant's distinct numbers evict only its own answers", () => {
    const shared = new SourceCache(() => 100 * 1024, () => now);
    const quiet = SourceCache.key('quiet', 'salesforce', '+41789072228');
    shared.write(quiet, found, policy);
    for (let i = 0; i < 10_000; i++) shared.write(SourceCache.key('noisy', 'salesforce', `+4179${1_000_000 + i}`), [], policy);
    expect(shared.sizeOf('noisy')).toBe(512); // 100 KB of 200-byte entries
    expect(shared.read(SourceCache.key('noisy', 'salesforce', `+4179${1_009_999}`), policy)?.state).toBe('fresh');
    expect(shared.read(SourceCache.key('noisy', 'salesforce', '+41791000000'), policy)).toBeUndefined();
    now = 3_600_000; // long past the TTL: the quiet tenant's answer still stands in for an outage
    expect(shared.read(quiet, policy)).toEqual({ state: 'stale', verified: found });
  });
});

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers and again after it settled', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    const work = async (): Promise<number> => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return runs;
    };
    expect(await Promise.all([flight.run('k', work), flight.run('k', work), flight.run('k', work)])).toEqual([1, 1, 1]);
    expect(flight.has('k')).toBe(false);
    expect(await flight.run('k', work)).toBe(2);
  });

  it('shares a failure too, and lets the next call try again', async () => {
    const flight = new SingleFlight<number>();
    const failing = flight.run('k', async () => Promise.reject(new Error('down')));
    await expect(Promise.all([failing, flight.run('k', async () => 1)])).rejects.toThrow('down');
    expect(await flight.run('k', async () => 2)).toBe(2);
  });
});
