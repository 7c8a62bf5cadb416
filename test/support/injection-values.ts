/**
 * Values a caller (or a crafted tenant file) might put where a template places a value, to break out
 * of it: the reserved characters of the SOSL escaping spec (salesforce-sosl.spec.ts), the unreadable
 * numbers of incoming-number.spec.ts, the crafted names of the console and hostile-input tests, and the
 * classic ways out of a URL, a header, a JSON string, an OData or a quoted filter literal. The unit
 * specs show each is escaped (or refused) in every place; the e2e test shows none reaches a CRM.
 */
export const INJECTION_VALUES: readonly string[] = [
  `? & | ! { } [ ] ( ) ^ ~ * : \\ " ' + -`,
  'anonymous',
  '+41 78 abc',
  '41-78-907;22',
  '<script>window.pwned=1</script>',
  '__proto__',
  "41446681800' or telephone1 ne '",
  "' or 1 eq 1 or 'a' eq '",
  '"},{"field":"phone_mobile","value":"%","criteria":"like"}]//',
  '41446681800"&fields=name&term="',
  '41446681800&api_token=stolen',
  '41446681800#fragment',
  '41446681800\r\nX-Injected: 1',
  '41446681800\nHost: evil.example',
  '../../admin',
  '..',
  '%2e%2e%2f%00',
  '{{param.API_TOKEN}}',
  '41446681800\u0000',
  '41446681800;--',
  '\u2028\u2029',
];
