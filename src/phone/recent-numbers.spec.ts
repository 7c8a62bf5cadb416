import { normalizeIncoming } from './incoming-number';
import { RECENT_NUMBERS, RecentNumbers } from './recent-numbers';

describe('RecentNumbers', () => {
  it('reads a number as normalizeIncoming does, and a repeat without reading it again', () => {
    const numbers = new RecentNumbers();
    const first = numbers.read('41789072228', 'CH');
    expect(first).toEqual(normalizeIncoming('41789072228', 'CH'));
    expect(numbers.read('41789072228', 'CH')).toBe(first);
  });

  it('reads the same digits again for another region', () => {
    const numbers = new RecentNumbers();
    expect(numbers.read('0301234567', 'CH')).toMatchObject({ kind: 'phone', e164: '+41301234567' });
    expect(numbers.read('0301234567', 'DE')).toMatchObject({ kind: 'phone', e164: '+49301234567' });
  });

  it('remembers an unreadable number as unreadable', () => {
    const numbers = new RecentNumbers();
    expect(numbers.read('anonymous', 'CH')).toBeUndefined();
    expect(numbers.read('anonymous', 'CH')).toBeUndefined();
  });

  it('keeps only the latest numbers', () => {
    const numbers = new RecentNumbers();
    const first = numbers.read('41789072228', 'CH');
    for (let i = 0; i < RECENT_NUMBERS; i++) numbers.read(`4179${String(1_000_000 + i)}`, 'CH');
    const again = numbers.read('41789072228', 'CH');
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('reads an input longer than any phone number as no number, and does not keep it', () => {
    const numbers = new RecentNumbers();
    numbers.read('41789072228', 'CH');
    for (let i = 0; i < 1000; i++) expect(numbers.read(`4179${String(i).padStart(59_996, '0')}`, 'CH')).toBeUndefined();
    expect(numbers.size).toBe(1);
  });
});
