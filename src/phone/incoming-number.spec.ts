import type { CountryCode } from 'libphonenumber-js/max';
import { MAX_NUMBER_LENGTH, normalizeIncoming } from './incoming-number';

describe('normalizeIncoming', () => {
  it.each<[string, CountryCode, string]>([
    ['41789072228', 'CH', '+41789072228'],
    ['+41789072228', 'CH', '+41789072228'],
    ['+41 78 907 22 28', 'CH', '+41789072228'],
    ['0041789072228', 'CH', '+41789072228'],
    ['0789072228', 'CH', '+41789072228'],
    [' 078 907 22 28 ', 'CH', '+41789072228'],
    ['4930901820', 'CH', '+4930901820'],
    ['030901820', 'DE', '+4930901820'],
    ['14155551212', 'CH', '+14155551212'],
    ['4155551212', 'US', '+14155551212'],
    ['0212345678', 'IT', '+390212345678'],
    ['442079460018', 'GB', '+442079460018'],
    ['447700900123', 'GB', '+447700900123'],
  ])('reads %j in a %s tenant as %s', (raw, region, e164) => {
    const number = normalizeIncoming(raw, region);
    expect(number).toMatchObject({ kind: 'phone', e164 });
  });

  it('reads the longest forms people write, and nothing longer', () => {
    expect(normalizeIncoming('  0041 (0) 78 907 22 28  ', 'CH')).toMatchObject({ e164: '+41789072228' });
    expect(normalizeIncoming(`+41 78 907 22 28${' '.repeat(30)}`, 'CH')).toMatchObject({ e164: '+41789072228' });
    expect(normalizeIncoming(`+${'1'.repeat(MAX_NUMBER_LENGTH)}`, 'CH')).toBeUndefined();
    expect(normalizeIncoming('4'.repeat(60_000), 'CH')).toBeUndefined();
  });

  it('offers the search variants a CRM may need', () => {
    expect(normalizeIncoming('41789072228', 'CH')).toEqual({
      kind: 'phone',
      country: 'CH',
      callingCode: '41',
      e164: '+41789072228',
      e164Digits: '41789072228',
      national: '0789072228',
      nationalSignificant: '789072228',
      international00: '0041789072228',
    });
    expect(normalizeIncoming('14155551212', 'CH')).toMatchObject({ national: '4155551212', nationalSignificant: '4155551212' });
    expect(normalizeIncoming('390212345678', 'CH')).toMatchObject({ national: '0212345678', nationalSignificant: '0212345678' });
  });

  it.each(['1', '201', '2001', '123456'])('reads %j as an internal extension', (raw) => {
    expect(normalizeIncoming(raw, 'CH')).toEqual({ kind: 'extension', extension: raw });
  });

  it.each(['', '   ', 'anonymous', 'unknown', 'Anonymous', 'restricted', 'abc123', '+', '+41 78 abc', '41-78-907;22', '999999999999999999'])(
    'treats %j as withheld or unreadable',
    (raw) => {
      expect(normalizeIncoming(raw, 'CH')).toBeUndefined();
    },
  );

  it('does not treat a 7-digit value as an extension', () => {
    expect(normalizeIncoming('1234567', 'CH')?.kind).not.toBe('extension');
  });
});
