import fc from 'fast-check';
import { getExampleNumber, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { normalizeIncoming } from './incoming-number';
import { MatchStrength, scoreStoredPhone } from './match';

const COUNTRIES: CountryCode[] = ['CH', 'DE', 'AT', 'FR', 'IT', 'GB', 'US', 'LI', 'NL', 'ES', 'BE', 'PL'];
const LANDLINES = ['+41 44 668 18 00', '+49 30 901820', '+43 1 5134567', '+33 1 42 68 53 00', '+39 02 1234 5678', '+44 20 7946 0018', '+1 415 555 1212'];

const numbers = [
  ...COUNTRIES.map((country) => getExampleNumber(country, examples)!),
  ...LANDLINES.map((value) => parsePhoneNumberFromString(value)!),
];
const SEPARATORS = [' ', '-', '.', '/', '  '];

type Written = 'international' | 'double-zero' | 'national' | 'trunk-in-parentheses';

/** Writes `digits` with random separators between them, as people type into CRMs. */
const sprinkled = (digits: string) =>
  fc.array(fc.option(fc.constantFrom(...SEPARATORS), { nil: '' }), { minLength: digits.length, maxLength: digits.length }).map(
    (seps) => [...digits].map((d, i) => (i === 0 ? d : `${seps[i]}${d}`)).join(''),
  );

function write(e164: string, nationalDigits: string, how: Written, body: string): string {
  const callingCode = parsePhoneNumberFromString(e164)!.countryCallingCode;
  switch (how) {
    case 'international':
      return `+${callingCode} ${body}`;
    case 'double-zero':
      return `00${callingCode} ${body}`;
    case 'national':
      return body;
    case 'trunk-in-parentheses':
      return `+${callingCode} (0)${body}`;
  }
  return nationalDigits;
}

function trunkPrefixOf(number: PhoneNumber): string {
  const national = number.formatNational().replace(/\D/g, '');
  return national.length > number.nationalNumber.length ? national.slice(0, national.length - number.nationalNumber.length) : '';
}

const arbitraryWriting = fc
  .record({
    number: fc.constantFrom(...numbers),
    how: fc.constantFrom<Written>('international', 'double-zero', 'national', 'trunk-in-parentheses'),
    tenantRegion: fc.constantFrom(...COUNTRIES),
  })
  // `(0)` is written only where the national form adds a trunk prefix (not in Italy, not in the US).
  .filter(({ number, how }) => how !== 'trunk-in-parentheses' || /^0/.test(trunkPrefixOf(number)))
  .chain(({ number, how, tenantRegion }) => {
    const national = number.formatNational().replace(/\D/g, '');
    const bodyDigits = how === 'national' ? national : number.nationalNumber;
    // A national form only means this number in its own country's tenants.
    const region = how === 'national' ? number.country! : tenantRegion;
    return sprinkled(bodyDigits).map((body) => ({ number, how, region, bodyDigits, national, body }));
  });

describe('matching, for any way a number is written', () => {
  it('matches the number exactly', () => {
    fc.assert(
      fc.property(arbitraryWriting, ({ number, how, region, national, body }) => {
        const stored = write(number.number, national, how, body);
        const incoming = normalizeIncoming(number.number.slice(1), region)!;
        expect(incoming).toBeDefined();
        expect(scoreStoredPhone(stored, incoming, region)).toBe(MatchStrength.Exact);
      }),
      { numRuns: 500 },
    );
  });

  it('does not match once one digit of the number is changed', () => {
    fc.assert(
      fc.property(
        arbitraryWriting,
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        ({ number, how, region, bodyDigits, national }, position, shift) => {
          const nsnStart = bodyDigits.length - number.nationalNumber.length;
          const at = nsnStart + (position % number.nationalNumber.length);
          const changed = `${bodyDigits.slice(0, at)}${(Number(bodyDigits[at]) + shift) % 10}${bodyDigits.slice(at + 1)}`;
          const stored = write(number.number, national, how, changed);
          const incoming = normalizeIncoming(number.number.slice(1), region)!;
          expect(scoreStoredPhone(stored, incoming, region)).toBe(MatchStrength.None);
        },
      ),
      { numRuns: 500 },
    );
  });
});
