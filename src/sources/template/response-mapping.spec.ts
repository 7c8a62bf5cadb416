import { mapAnswer, MAX_RECORDS_PER_ANSWER, select, UNSAFE_PATH_CHARACTERS, type MappingContext } from './response-mapping';
import type { ResponseMapping } from './template-format';

/** Pipedrive's v2 person search answer (docs/reference/template-apis.md §1.2). */
const PIPEDRIVE_ANSWER = {
  success: true,
  data: {
    items: [
      {
        result_score: 0.51,
        item: {
          id: 1,
          type: 'person',
          name: 'Anna Muster',
          phones: ['044 668 18 00', '+41 78 907 22 28'],
          emails: ['anna@muster-treuhand.ch'],
          owner: { id: 12 },
          organization: { id: 7, name: 'Muster Treuhand AG', address: null },
          update_time: '2026-11-24T10:15:00Z',
        },
      },
      { result_score: 0.2, item: { id: 'x-9', name: 'Bad Id', phones: ['044 668 18 00'] } },
      { result_score: 0.2, item: { id: 3, name: 'No Phone', phones: [] } },
    ],
  },
  additional_data: { next_cursor: null },
};

const PERSONS: ResponseMapping = {
  records: '$.data.items[*].item',
  objectType: 'person',
  idPattern: '^[1-9][0-9]*$',
  id: '$.id',
  kind: 'person',
  name: ['$.name'],
  company: '$.organization.name',
  contactUrl: 'https://acme.pipedrive.com/person/{{record.id}}',
  phones: ['$.phones[*]'],
  modified: '$.update_time',
  customData: { Email: '$.emails[0]', Owner: '$.owner.id' },
};

const context: MappingContext = { sourceId: 'pipedrive', link: (which, id) => (which === 'contactUrl' ? `https://acme.pipedrive.com/person/${id}` : undefined) };

describe('mapping an answer with JSONPath', () => {
  it('maps each record to a candidate with every phone, the company, the link, the time and the custom data', () => {
    const { candidates, notes } = mapAnswer(PIPEDRIVE_ANSWER, PERSONS, /^[1-9][0-9]*$/, context);
    expect(candidates).toEqual([
      {
        sourceId: 'pipedrive',
        objectType: 'person',
        recordId: '1',
        kind: 'person',
        name: 'Anna Muster',
        company: 'Muster Treuhand AG',
        contactUri: 'https://acme.pipedrive.com/person/1',
        phones: ['044 668 18 00', '+41 78 907 22 28'],
        customData: { Email: 'anna@muster-treuhand.ch', Owner: '12' },
        modifiedAt: new Date('2026-11-24T10:15:00Z'),
      },
    ]);
    expect(notes).toEqual(['1 record(s) left out: id missing or not of the form ^[1-9][0-9]*$', '1 record(s) left out: no phone value to verify']);
  });

  it('joins a name from several fields, takes the kind from a field, and reads times in seconds', () => {
    const answer = { value: [{ contactid: 'a1', firstname: 'Beat', lastname: 'Keller', telephone1: '079 123 45 67', type: 'account', modifiedon: 1764000000 }] };
    const mapping: ResponseMapping = {
      ...PERSONS,
      records: '$.value[*]',
      id: '$.contactid',
      name: ['$.firstname', '$.middlename', '$.lastname'],
      kind: { path: '$.type', company: ['account'] },
      phones: ['$.telephone1', '$.mobilephone'],
      modified: '$.modifiedon',
      customData: {},
    };
    const [candidate] = mapAnswer(answer, mapping, /^[a-z0-9]+$/, context).candidates;
    expect(candidate).toMatchObject({ recordId: 'a1', name: 'Beat Keller', kind: 'company', phones: ['079 123 45 67'], modifiedAt: new Date(1764000000 * 1000) });
  });

  it('answers no records for an empty answer (a 204), and reads at most MAX_RECORDS_PER_ANSWER', () => {
    expect(mapAnswer('', PERSONS, /^\d+$/, context).candidates).toEqual([]);
    expect(mapAnswer(undefined, PERSONS, /^\d+$/, context).candidates).toEqual([]);
    expect(mapAnswer({ data: null }, PERSONS, /^\d+$/, context).candidates).toEqual([]);
    const many = { data: { items: Array.from({ length: 80 }, (_, i) => ({ item: { id: i + 1, name: `P${i}`, phones: ['044 668 18 00'] } })) } };
    const mapped = mapAnswer(many, PERSONS, /^[1-9][0-9]*$/, context);
    expect(mapped.candidates).toHaveLength(MAX_RECORDS_PER_ANSWER);
    expect(mapped.notes).toContain(`80 records answered; the first ${MAX_RECORDS_PER_ANSWER} read`);
  });

  it('never evaluates a script or a filter in a path (eval: false)', () => {
    const json = { a: [{ b: 1 }] };
    let evaluated = false;
    (globalThis as { pwned?: () => void }).pwned = () => (evaluated = true);
    expect(() => select('$.a[?(@.b === 1 && pwned())]', json)).toThrow(/[Ee]val/);
    expect(() => select('$..[(pwned())]', json)).toThrow(/[Ee]val/);
    expect(evaluated).toBe(false);
    delete (globalThis as { pwned?: () => void }).pwned;
    expect(select('$.a[*].b', json)).toEqual([1]);
  });

  it("reads an OData annotation by its quoted name in brackets, and refuses an @ anywhere else (Dataverse's formatted values)", () => {
    const annotation = "$['_parentcustomerid_value@OData.Community.Display.V1.FormattedValue']";
    expect(UNSAFE_PATH_CHARACTERS.test(annotation)).toBe(false);
    expect(select(annotation, { '_parentcustomerid_value@OData.Community.Display.V1.FormattedValue': 'Litware, Inc.', _parentcustomerid_value: 'a-guid' })).toEqual(['Litware, Inc.']);
    for (const unsafe of ['$..[?(@.id)]', '$.a@b', '$.@string', "$.a@b']", "$['a'@]", "$['a@b", '$["a@b"]', '$.a`b']) {
      expect([unsafe, UNSAFE_PATH_CHARACTERS.test(unsafe)]).toEqual([unsafe, true]);
    }
  });

  it("takes a fixed text as custom data (an attribution), and the record's own link from the answer only when it is http(s)", () => {
    const mapping: ResponseMapping = { ...PERSONS, contactUrl: undefined, link: '$.href', customData: { Source: { value: 'search.ch, Swisscom Directories AG' }, Email: '$.emails[0]' } };
    const record = (href: string) => ({ data: { items: [{ item: { id: 1, name: 'Anna', phones: ['044 668 18 00'], href } }] } });
    const [candidate] = mapAnswer(record('https://search.ch/tel/abc'), mapping, /^\d+$/, context).candidates;
    expect(candidate).toMatchObject({ contactUri: 'https://search.ch/tel/abc', customData: { Source: 'search.ch, Swisscom Directories AG' } });
    for (const href of ['javascript:alert(1)', 'data:text/html,x', '/tel/abc', 'not a url']) {
      expect(mapAnswer(record(href), mapping, /^\d+$/, context).candidates[0]!.contactUri).toBeUndefined();
    }
  });
});
