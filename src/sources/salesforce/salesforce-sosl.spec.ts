import { normalizeIncoming, type PhoneIncomingNumber } from '../../phone';
import { buildPhoneSosl, escapeSoslTerm, phoneSearchTerms } from './salesforce-sosl';

describe('SOSL building', () => {
  it('escapes every reserved character with a backslash', () => {
    expect(escapeSoslTerm(`? & | ! { } [ ] ( ) ^ ~ * : \\ " ' + -`)).toBe(
      `\\? \\& \\| \\! \\{ \\} \\[ \\] \\( \\) \\^ \\~ \\* \\: \\\\ \\" \\' \\+ \\-`,
    );
    expect(escapeSoslTerm('41789072228')).toBe('41789072228');
  });

  it('searches the E.164 digits, national, NSN, 00 and (0) forms of a Swiss number', () => {
    const number = normalizeIncoming('41789072228', 'CH') as PhoneIncomingNumber;
    expect(phoneSearchTerms(number)).toEqual(['41789072228', '0789072228', '789072228', '0041789072228', '410789072228', '00410789072228']);
  });

  it('adds no (0) forms where the country has no trunk prefix', () => {
    expect(phoneSearchTerms(normalizeIncoming('390212345678', 'CH') as PhoneIncomingNumber)).toEqual(['390212345678', '0212345678', '00390212345678']);
    expect(phoneSearchTerms(normalizeIncoming('14155551212', 'CH') as PhoneIncomingNumber)).toEqual(['14155551212', '4155551212', '0014155551212']);
  });

  it('builds one search over every object', () => {
    expect(
      buildPhoneSosl(['41789072228', '+4'], [
        { object: 'Contact', fields: ['Id', 'Name'], limit: 20 },
        { object: 'Lead', fields: ['Id'], where: 'IsConverted = false' },
      ]),
    ).toBe('FIND {41789072228 OR \\+4} IN PHONE FIELDS RETURNING Contact(Id, Name LIMIT 20), Lead(Id WHERE IsConverted = false)');
  });
});
