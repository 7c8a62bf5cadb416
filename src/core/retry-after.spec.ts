import { parseRetryAfter } from './retry-after';

const NOW = Date.UTC(2026, 10, 20, 8, 0, 0); // Fri, 20 Nov 2026 08:00:00 GMT

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3000],
    ['0', 0],
    ['120', 120_000],
    [' 7 ', 7000],
    ['007', 7000],
  ])('reads delta-seconds %j as %d ms', (header, ms) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });

  it.each([
    ['an IMF-fixdate', 'Fri, 20 Nov 2026 08:00:30 GMT', 30_000],
    ['an RFC 850 date', 'Friday, 20-Nov-26 08:01:00 GMT', 60_000],
    ['an asctime date, one-digit day', 'Mon Nov  2 08:00:00 2026', 0],
    ['an asctime date', 'Fri Nov 20 08:00:05 2026', 5000],
    ['a date already past', 'Thu, 19 Nov 2026 08:00:00 GMT', 0],
    ['a date a day ahead', 'Sat, 21 Nov 2026 08:00:00 GMT', 86_400_000],
  ])('reads %s as the time left until it', (_, header, ms) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });

  it('reads a two-digit year more than 50 years ahead as the past century', () => {
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sunday, 20-Nov-76 08:00:00 GMT', NOW)).toBe(Date.UTC(2076, 10, 20, 8) - NOW);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a fraction', '1.5'],
    ['negative', '-3'],
    ['signed', '+3'],
    ['a word', 'soon'],
    ['seconds with a unit', '3s'],
    ['hex', '0x10'],
    ['an ISO date', '2026-11-20T08:00:30Z'],
    ['a date without GMT', 'Fri, 20 Nov 2026 08:00:30'],
    ['a date in another zone', 'Fri, 20 Nov 2026 08:00:30 CET'],
    ['a day that does not exist', 'Tue, 31 Feb 2026 08:00:00 GMT'],
    ['an hour that does not exist', 'Fri, 20 Nov 2026 25:00:00 GMT'],
    ['a number too large to count', '9'.repeat(20)],
    ['not a string', 3],
  ])('ignores a value that is %s', (_, header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(parseRetryAfter(['4', '9'], NOW)).toBe(4000);
  });

  it('counts from the current time by default', () => {
    const ms = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString());
    expect(ms).toBeGreaterThan(8000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });
});
