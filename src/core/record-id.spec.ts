import { decodeRecordId, encodeRecordId, matchesRecordIdPattern, recordIdKey } from './record-id';

describe('record ids', () => {
  it.each([
    { sourceId: 'salesforce', objectType: 'Contact', recordId: '003xx000004TmiQAAS' },
    { sourceId: 'directory', objectType: 'entry', recordId: 'vHIwM2LRUdeGN5YB' },
    { sourceId: 'sugar', objectType: 'Contacts', recordId: 'a:b:c' },
  ])('round-trips %j', (ref) => {
    expect(decodeRecordId(encodeRecordId(ref))).toEqual(ref);
  });

  it.each(['', 'salesforce', 'salesforce:Contact', 'salesforce:Contact:', ':Contact:1', 'salesforce::1'])(
    'refuses %j, which we did not issue',
    (id) => {
      expect(decodeRecordId(id)).toBeUndefined();
    },
  );
});

describe('signed record ids', () => {
  const acme = recordIdKey('a-gateway-secret-of-at-least-32-characters', 'acme');
  const globex = recordIdKey('a-gateway-secret-of-at-least-32-characters', 'globex');
  const ref = { sourceId: 'hubspot', objectType: 'call', recordId: '51234' };

  it('round-trips an id signed for the same tenant', () => {
    const id = encodeRecordId(ref, acme);
    expect(id).toMatch(/^hubspot:call:51234:[\w-]{16}$/);
    expect(decodeRecordId(id, acme)).toEqual(ref);
  });

  it("refuses another tenant's id, an unsigned id and a tampered one", () => {
    const id = encodeRecordId(ref, acme);
    expect(decodeRecordId(id, globex)).toBeUndefined();
    expect(decodeRecordId(encodeRecordId(ref), acme)).toBeUndefined();
    expect(decodeRecordId(id.replace('51234', '51235'), acme)).toBeUndefined();
    expect(decodeRecordId(`${id}x`, acme)).toBeUndefined();
  });

  it('gives each secret its own keys', () => {
    expect(recordIdKey('one-secret-of-at-least-32-characters-long', 'acme').equals(acme)).toBe(false);
  });
});

describe('record id patterns', () => {
  const patterns = { Contact: /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/ };

  it.each([
    ['Contact', '003xx000004TmiQAAS', true],
    ['Contact', '..', false],
    ['Lead', '003xx000004TmiQAAS', false],
    ['constructor', '003xx000004TmiQAAS', false],
    ['toString', 'x', false],
  ])('%s %s → %s', (objectType, recordId, accepted) => {
    expect(matchesRecordIdPattern(patterns, objectType, recordId)).toBe(accepted);
  });
});
