import type { CountryCode } from 'libphonenumber-js/max';
import { normalizeIncoming } from './incoming-number';
import { MatchStrength, scoreStoredPhone, scoreStoredPhones } from './match';

const { None, AssumedCountryCode, PossibleNumber, MainNumberOfExtension, Exact } = MatchStrength;

/** [what it shows, incoming as the CONNECTOR sends it, tenant region, stored value, expected] */
type Row = [string, string, CountryCode, string, MatchStrength];

const rows: Row[] = [
  // Switzerland: every way a Swiss mobile is typed into a CRM
  ['CH international spaced', '41789072228', 'CH', '+41 78 907 22 28', Exact],
  ['CH E.164', '41789072228', 'CH', '+41789072228', Exact],
  ['CH 00 prefix', '41789072228', 'CH', '0041 78 907 22 28', Exact],
  ['CH national with trunk 0', '41789072228', 'CH', '078 907 22 28', Exact],
  ['CH national compact', '41789072228', 'CH', '0789072228', Exact],
  ['CH national with dots', '41791234567', 'CH', '079.123.45.67', Exact],
  ['CH national with slashes', '41791234567', 'CH', '079/123 45 67', Exact],
  ['CH national with dashes', '41791234567', 'CH', '079-123-45-67', Exact],
  ['CH country code without plus', '41792223344', 'CH', '41 79 222 33 44', Exact],
  ['CH (0) after country code', '41789072228', 'CH', '+41 (0)78 907 22 28', Exact],
  ['CH (0) without spaces', '41789072228', 'CH', '+41(0)789072228', Exact],
  ['CH landline', '41446681800', 'CH', '044 668 18 00', Exact],
  ['CH landline in parentheses', '41446681800', 'CH', '(044) 668 18 00', Exact],
  ['CH extension ext', '41522123456', 'CH', '+41 52 212 34 56 ext 12', MainNumberOfExtension],
  ['CH extension x', '41522123456', 'CH', '+41 52 212 34 56 x12', MainNumberOfExtension],
  ['CH extension #', '41522123456', 'CH', '+41 52 212 34 56 #12', MainNumberOfExtension],
  ['CH extension ext. national', '41522123456', 'CH', '052 212 34 56 ext. 7', MainNumberOfExtension],
  ['CH incoming with plus', '+41789072228', 'CH', '078 907 22 28', Exact],
  ['CH incoming with 00', '0041789072228', 'CH', '078 907 22 28', Exact],
  ['CH incoming national', '0789072228', 'CH', '+41 78 907 22 28', Exact],
  ['CH incoming spaced', '+41 78 907 22 28', 'CH', '0789072228', Exact],
  ['CH label around number', '41789072228', 'CH', 'Mobile: +41 78 907 22 28', Exact],
  // Switzerland: traps
  ['CH off by one digit', '41789072228', 'CH', '078 907 22 29', None],
  ['CH transposed digits', '41789072228', 'CH', '078 907 22 82', None],
  ['CH one digit missing', '41789072228', 'CH', '078 907 22 2', None],
  ['CH one digit too many', '41789072228', 'CH', '078 907 22 288', None],
  ['CH suffix of a longer number', '41789072228', 'CH', '+41 44 789 07 22 28', None],
  ['CH stored number ends with the incoming digits', '41446681800', 'CH', '+49 41 446681800', None],
  ['CH same national digits in Germany', '41789072228', 'CH', '+49 78 907 22 28', None],
  ['CH same national digits in Austria', '41789072228', 'CH', '+43 78 907 22 28', None],
  ['CH same national digits in France', '41789072228', 'CH', '+33 78 907 22 28', None],
  ['CH only the national significant number', '41789072228', 'CH', '789072228', Exact],
  ['CH empty stored value', '41789072228', 'CH', '', None],
  ['CH whitespace stored value', '41789072228', 'CH', '   ', None],
  ['CH garbage stored value', '41789072228', 'CH', 'n/a', None],
  ['CH letters only', '41789072228', 'CH', 'call reception', None],
  ['CH e-mail in a phone field', '41789072228', 'CH', 'anna@example.ch', None],
  ['CH another Swiss number', '41789072228', 'CH', '+41 79 123 45 67', None],
  // Germany
  ['DE Berlin international', '4930901820', 'DE', '+49 30 901820', Exact],
  ['DE Berlin national', '4930901820', 'DE', '030 901820', Exact],
  ['DE Berlin national with slash', '4930901820', 'DE', '030/901820', Exact],
  ['DE Berlin 0049', '4930901820', 'DE', '0049 30 901820', Exact],
  ['DE Berlin (0)', '4930901820', 'DE', '+49 (0)30 901820', Exact],
  ['DE mobile national', '4915123456789', 'DE', '01512 3456789', Exact],
  ['DE mobile international', '4915123456789', 'DE', '+49 151 23456789', Exact],
  ['DE national number in a Swiss tenant is Swiss', '4930901820', 'CH', '030 901820', None],
  ['DE international in a Swiss tenant', '4930901820', 'CH', '+49 30 901820', Exact],
  ['DE off by one', '4930901820', 'DE', '030 901821', None],
  ['DE Swiss number without plus in a German tenant', '41789072228', 'DE', '41789072228', AssumedCountryCode],
  ['DE Swiss national digits in a German tenant', '41789072228', 'DE', '078 907 22 28', None],
  // Austria
  ['AT Vienna international', '4315134567', 'AT', '+43 1 5134567', Exact],
  ['AT Vienna national', '4315134567', 'AT', '01 5134567', Exact],
  ['AT Vienna 0043', '4315134567', 'AT', '0043 1 513 45 67', Exact],
  ['AT mobile national', '436641234567', 'AT', '0664 1234567', Exact],
  ['AT mobile with slash', '436641234567', 'AT', '0664/123 45 67', Exact],
  ['AT mobile in a Swiss tenant', '436641234567', 'CH', '+43 664 1234567', Exact],
  ['AT mobile national in a Swiss tenant', '436641234567', 'CH', '0664 1234567', None],
  ['AT off by one', '436641234567', 'AT', '0664 1234568', None],
  // France
  ['FR Paris international', '33142685300', 'FR', '+33 1 42 68 53 00', Exact],
  ['FR Paris national', '33142685300', 'FR', '01 42 68 53 00', Exact],
  ['FR Paris dotted', '33142685300', 'FR', '01.42.68.53.00', Exact],
  ['FR Paris (0)', '33142685300', 'FR', '+33 (0)1 42 68 53 00', Exact],
  ['FR mobile national', '33612345678', 'FR', '06 12 34 56 78', Exact],
  ['FR mobile 0033', '33612345678', 'FR', '0033 6 12 34 56 78', Exact],
  ['FR mobile national in a Swiss tenant', '33612345678', 'CH', '06 12 34 56 78', None],
  ['FR off by one', '33612345678', 'FR', '06 12 34 56 79', None],
  // Italy: the leading 0 belongs to the number
  ['IT Milan international', '390212345678', 'IT', '+39 02 1234 5678', Exact],
  ['IT Milan national', '390212345678', 'IT', '02 1234 5678', Exact],
  ['IT Milan 0039', '390212345678', 'IT', '0039 02 12345678', Exact],
  ['IT mobile national', '393471234567', 'IT', '347 123 4567', Exact],
  ['IT mobile international', '393471234567', 'IT', '+39 347 1234567', Exact],
  ['IT Milan in a Swiss tenant', '390212345678', 'CH', '+39 02 1234 5678', Exact],
  ['IT Milan without the 0', '390212345678', 'IT', '+39 2 1234 5678', None],
  ['IT off by one', '393471234567', 'IT', '347 123 4568', None],
  // United Kingdom
  ['GB London international (0)', '442079460018', 'GB', '+44 (0)20 7946 0018', Exact],
  ['GB London national', '442079460018', 'GB', '020 7946 0018', Exact],
  ['GB London in a Swiss tenant', '442079460018', 'CH', '+44 (0)20 7946 0018', Exact],
  ['GB London 0044', '442079460018', 'CH', '0044 20 7946 0018', Exact],
  ['GB mobile national', '447911123456', 'GB', '07911 123456', Exact],
  ['GB drama range is possible but not valid', '447700900123', 'GB', '07700 900123', PossibleNumber],
  ['GB London national in a Swiss tenant', '442079460018', 'CH', '020 7946 0018', None],
  ['GB off by one', '442079460018', 'GB', '020 7946 0019', None],
  // United States
  ['US parentheses', '14155551212', 'US', '(415) 555-1212', Exact],
  ['US international parentheses', '14155551212', 'CH', '+1 (415) 555-1212', Exact],
  ['US dotted', '14155551212', 'US', '415.555.1212', Exact],
  ['US with 1 prefix', '14155551212', 'US', '1-415-555-1212', Exact],
  ['US extension', '14155551212', 'US', '+1 415-555-1212 ext 12', MainNumberOfExtension],
  ['US national in a Swiss tenant', '14155551212', 'CH', '(415) 555-1212', None],
  ['US other area code', '14155551212', 'US', '(416) 555-1212', None],
  ['US seven digits only', '14155551212', 'US', '555-1212', None],
  ['US incoming national in a US tenant', '4155551212', 'US', '+1 415 555 1212', Exact],
  // Internal extensions
  ['extension equal', '201', 'CH', '201', Exact],
  ['extension with formatting', '2001', 'CH', '20 01', Exact],
  ['extension differs', '201', 'CH', '202', None],
  ['extension is a prefix', '201', 'CH', '2010', None],
  ['extension vs a full number ending in it', '201', 'CH', '+41 44 668 12 01', None],
  ['extension vs extension of a main number', '12', 'CH', '+41 52 212 34 56 ext 12', None],
];

describe('scoreStoredPhone', () => {
  it('has a table of at least 80 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(80);
  });

  it.each(rows)('%s: incoming %s (%s) vs stored %j', (_what, raw, region, stored, expected) => {
    const incoming = normalizeIncoming(raw, region);
    expect(incoming).toBeDefined();
    expect(scoreStoredPhone(stored, incoming!, region)).toBe(expected);
  });
});

describe('scoreStoredPhones', () => {
  const incoming = normalizeIncoming('41789072228', 'CH')!;

  it('takes the strongest evidence among the stored values', () => {
    expect(scoreStoredPhones(['+41 44 668 18 00', '078 907 22 28 ext 5', '+41 78 907 22 28'], incoming, 'CH')).toBe(Exact);
    expect(scoreStoredPhones(['+41 44 668 18 00', '078 907 22 28 ext 5'], incoming, 'CH')).toBe(MainNumberOfExtension);
  });

  it('is None for a record without a matching phone, however many it has', () => {
    expect(scoreStoredPhones([], incoming, 'CH')).toBe(None);
    expect(scoreStoredPhones(['', 'n/a', '+41 44 668 18 00'], incoming, 'CH')).toBe(None);
  });
});
