import { userIdForSource } from './user-crm-id';

const known = ['salesforce', 'hubspot', 'sugar', 'directory'];

describe('userIdForSource', () => {
  it.each<[string | undefined, string, string | undefined]>([
    [undefined, 'salesforce', undefined],
    ['', 'salesforce', undefined],
    ['005xx000001Sv6e', 'salesforce', '005xx000001Sv6e'],
    ['005xx000001Sv6e', 'hubspot', '005xx000001Sv6e'],
    ['salesforce:005xx000001Sv6e,hubspot:12345', 'salesforce', '005xx000001Sv6e'],
    ['salesforce:005xx000001Sv6e, hubspot:12345', 'hubspot', '12345'],
    ['salesforce:005xx000001Sv6e,hubspot:12345', 'sugar', undefined],
    ['Salesforce:005xx', 'salesforce', '005xx'],
    ['salesforce:005xx,fallback-id', 'sugar', 'fallback-id'],
    ['urn:user:7', 'sugar', 'urn:user:7'],
    ['hubspot:', 'hubspot', undefined],
  ])('reads %j for %s as %j', (raw, source, expected) => {
    expect(userIdForSource(raw, source, known)).toBe(expected);
  });
});
