import { groupedInternational, groupedNational, type PhoneIncomingNumber } from '../../phone';
import { LAST_DIGITS_FORM, type NumberForm } from './template-format';

/**
 * One written form of the caller's number, from the core's phone functions (never formatted here):
 * `e164` +41446681800, `e164Digits` 41446681800, `international00` 0041446681800, `national`
 * 0446681800, `nationalGrouped` 044 668 18 00 (libphonenumber's grouping), `nationalSignificant`
 * 446681800, `nationalSignificantGrouped` 44 668 18 00 (the grouped national form without its trunk
 * prefix: a substring of both `044 668 18 00` and `+41 44 668 18 00`, for CRMs that match raw
 * substrings), `internationalGrouped` +41 44 668 18 00 (libphonenumber's grouping, for CRMs that compare
 * whole strings), `last<N>` the last N digits of the E.164 form.
 */
export function numberForm(number: PhoneIncomingNumber, form: string): string {
  switch (form) {
    case 'e164':
      return number.e164;
    case 'e164Digits':
      return number.e164Digits;
    case 'international00':
      return number.international00;
    case 'national':
      return number.national;
    case 'nationalGrouped':
      return groupedNational(number);
    case 'nationalSignificant':
      return number.nationalSignificant;
    case 'internationalGrouped':
      return groupedInternational(number);
    case 'nationalSignificantGrouped':
      return withoutTrunkPrefix(number, groupedNational(number));
    default: {
      const last = LAST_DIGITS_FORM.exec(form);
      if (!last) throw new Error(`unknown number form ${form}`);
      return number.e164Digits.slice(-Number(last[1]));
    }
  }
}

/** `044 668 18 00` → `44 668 18 00`; unchanged where the country has no trunk prefix (`(415) 555-1212`) or keeps it (Italy). */
function withoutTrunkPrefix(number: PhoneIncomingNumber, grouped: string): string {
  const trunk = number.national.slice(0, number.national.length - number.nationalSignificant.length);
  return trunk !== '' && grouped.startsWith(trunk) ? grouped.slice(trunk.length).trimStart() : grouped;
}

/** The forms a `forEach` sends, each once: forms that are written the same (a country without trunk prefix) are one request. */
export function distinctForms(number: PhoneIncomingNumber, forms: readonly NumberForm[]): Array<{ form: NumberForm; value: string }> {
  const seen = new Set<string>();
  const distinct: Array<{ form: NumberForm; value: string }> = [];
  for (const form of forms) {
    const value = numberForm(number, form);
    if (seen.has(value)) continue;
    seen.add(value);
    distinct.push({ form, value });
  }
  return distinct;
}
