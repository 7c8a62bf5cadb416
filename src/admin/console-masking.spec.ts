import { maskNumbersIn } from './console-masking';

describe('numbers masked in the texts a console page shows', () => {
  it.each([
    ['+41789072228', '+41******228'],
    ['+41 78 907 22 28', '+41******228'],
    ['078 907 22 28', '*******228'],
    ['079.123.45.67', '*******567'],
    ['+44 (0)20 7946 0018', '+44********018'],
    ['FIND {+41789072228 OR 0789072228} IN PHONE FIELDS', 'FIND {+41******228 OR *******228} IN PHONE FIELDS'],
    ['GET /search?q=FIND%20%7B%2B41789072228%7D', 'GET /search?q=FIND%20%7B%2B********228%7D'],
    ['{"value":"789072228","operator":"CONTAINS_TOKEN"}', '{"value":"******228","operator":"CONTAINS_TOKEN"}'],
  ])('masks %p as %p', (text, masked) => {
    expect(maskNumbersIn(text)).toBe(masked);
  });

  it.each([
    'salesforce:Contact:003000000000001AAA',
    'RETURNING Contact(Id, Name LIMIT 200)',
    'ext 12',
    'no stored phone matches',
    'TIMEOUT: no answer within 1500 ms',
  ])('leaves %p as it is', (text) => {
    expect(maskNumbersIn(text)).toBe(text);
  });
});
