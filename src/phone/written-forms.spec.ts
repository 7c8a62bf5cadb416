import { normalizeIncoming, type PhoneIncomingNumber } from './incoming-number';
import { storedTails, writtenForms } from './written-forms';

const number = (raw: string) => normalizeIncoming(raw, 'CH') as PhoneIncomingNumber;

describe('storedTails', () => {
  it.each([
    ['41789072228', ['789072228', '78 907 22 28', '78-907-22-28', '78.907.22.28', '78/907 22 28']],
    ['14155551212', ['4155551212', '415) 555-1212', '415 555 1212', '415-555-1212', '415.555.1212', '415/555 1212']],
    ['390212345678', ['0212345678', '02 1234 5678', '02-1234-5678', '02.1234.5678', '02/1234 5678']],
  ])('lists the common tails of %s', (raw, expected) => {
    expect(storedTails(number(raw))).toEqual(expected);
  });

  it.each(['+41 78 907 22 28', '078 907 22 28', '0041 78 907 22 28', '+41 (0)78 907 22 28', '078-907-22-28', '0789072228', '+41789072228', '078 907 22 28 ext 5'])(
    'has a tail that %j contains',
    (stored) => {
      expect(storedTails(number('41789072228')).some((tail) => stored.includes(tail))).toBe(true);
    },
  );
});

describe('writtenForms', () => {
  it.each([
    ['41446681800', ['+41 44 668 18 00', '044 668 18 00', '+41446681800', '0446681800', '41446681800', '0041 44 668 18 00', '0041446681800', '+41 (0)44 668 18 00', '044-668-18-00', '044/668 18 00', '044.668.18.00']],
    ['14155551212', ['(415) 555-1212', '+1 (415) 555-1212', '+1 415 555 1212', '415-555-1212', '415.555.1212', '4155551212', '+14155551212', '001 415 555 1212']],
    ['442079460018', ['020 7946 0018', '+44 20 7946 0018', '+44 (0)20 7946 0018', '02079460018', '+442079460018']],
    ['390212345678', ['02 1234 5678', '+39 02 1234 5678', '0212345678', '+390212345678']],
  ])('has the values people type for %s', (raw, typed) => {
    const forms = writtenForms(number(raw));
    for (const value of typed) expect(forms).toContain(value);
  });

  it('keeps no value cut inside brackets, no letters, and none twice', () => {
    for (const raw of ['41446681800', '14155551212', '442079460018', '390212345678', '41789072228']) {
      const forms = writtenForms(number(raw));
      expect(forms.filter((f) => /\)/.test(f) && !/\(/.test(f))).toEqual([]);
      expect(forms.every((f) => f === f.toLowerCase())).toBe(true);
      expect(new Set(forms).size).toBe(forms.length);
    }
  });

  it('reads back, every value, as the number it was made from', () => {
    for (const raw of ['41446681800', '14155551212', '442079460018', '390212345678']) {
      const incoming = number(raw);
      for (const form of writtenForms(incoming)) expect([form, normalizeIncoming(form, incoming.country ?? 'CH')]).toEqual([form, expect.objectContaining({ e164: incoming.e164 })]);
    }
  });
});
