import { decodeRecordId, encodeRecordId } from './record-id';

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
