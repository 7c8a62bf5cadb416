import { normalizeIncoming, type PhoneIncomingNumber } from '../../phone';
import { distinctForms, numberForm } from './number-forms';
import type { NumberForm } from './template-format';

const phone = (raw: string): PhoneIncomingNumber => {
  const number = normalizeIncoming(raw, 'CH');
  if (number?.kind !== 'phone') throw new Error(`not a phone number: ${raw}`);
  return number;
};

describe('the written forms of the caller number', () => {
  it.each<[string, NumberForm, string]>([
    ['41446681800', 'e164', '+41446681800'],
    ['41446681800', 'e164Digits', '41446681800'],
    ['41446681800', 'international00', '0041446681800'],
    ['41446681800', 'national', '0446681800'],
    ['41446681800', 'nationalGrouped', '044 668 18 00'],
    ['41446681800', 'nationalSignificant', '446681800'],
    ['41446681800', 'internationalGrouped', '+41 44 668 18 00'],
    ['14155551212', 'internationalGrouped', '+1 415 555 1212'],
    ['41446681800', 'last7', '6681800'],
    ['41446681800', 'last4', '1800'],
    ['41446681800', 'last15', '41446681800'],
    ['41789072228', 'nationalGrouped', '078 907 22 28'],
    ['14155551212', 'nationalGrouped', '(415) 555-1212'],
    ['14155551212', 'national', '4155551212'],
    ['442079460018', 'nationalGrouped', '020 7946 0018'],
    ['390212345678', 'nationalSignificant', '0212345678'],
    ['4930901820', 'nationalGrouped', '030 901820'],
    ['41446681800', 'nationalSignificantGrouped', '44 668 18 00'],
    ['41789072228', 'nationalSignificantGrouped', '78 907 22 28'],
    ['442079460018', 'nationalSignificantGrouped', '20 7946 0018'],
    ['4930901820', 'nationalSignificantGrouped', '30 901820'],
    ['14155551212', 'nationalSignificantGrouped', '(415) 555-1212'],
    ['390212345678', 'nationalSignificantGrouped', '02 1234 5678'],
  ])('writes %s as %s: %j', (raw, form, written) => {
    expect(numberForm(phone(raw), form)).toBe(written);
  });

  it('sends forms written alike once (a US number has no trunk prefix)', () => {
    expect(distinctForms(phone('14155551212'), ['national', 'nationalSignificant', 'e164'])).toEqual([
      { form: 'national', value: '4155551212' },
      { form: 'e164', value: '+14155551212' },
    ]);
    expect(distinctForms(phone('41446681800'), ['national', 'nationalSignificant']).map((f) => f.value)).toEqual(['0446681800', '446681800']);
  });

  it('writes the grouped significant number as a substring of the national and the international grouped forms', () => {
    const number = phone('41446681800');
    const grouped = numberForm(number, 'nationalSignificantGrouped');
    expect(numberForm(number, 'nationalGrouped')).toContain(grouped);
    expect('+41 44 668 18 00').toContain(grouped);
  });

  it('refuses a form it does not know', () => {
    expect(() => numberForm(phone('41446681800'), 'last3')).toThrow('unknown number form last3');
  });
});
