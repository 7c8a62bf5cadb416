import { companyToCandidate, contactToCandidate, type HubSpotRecord } from './hubspot.mapper';

const EU_PORTAL = { portalId: '4711', appUrl: 'https://app-eu1.hubspot.com' };
const CUSTOM = [
  { label: 'Lifecycle', field: 'lifecyclestage' },
  { label: 'Owner', field: 'hubspot_owner_id' },
  { label: 'Score', field: 'hubspotscore' },
];

/** One result of `POST /crm/v3/objects/contacts/search` (crm-apis.md §2.3): every value a string or null. */
const ANNA: HubSpotRecord & Record<string, unknown> = {
  id: '101',
  properties: {
    associatedcompanyid: '201',
    company: 'Muster Treuhand AG',
    createdate: '2026-01-17T19:55:04.281Z',
    email: 'anna@muster-treuhand.ch',
    firstname: 'Anna',
    hs_calculated_mobile_number: null,
    hs_calculated_phone_number: '+41789072228',
    hs_object_id: '101',
    hubspot_owner_id: '5150',
    hubspotscore: '',
    lastmodifieddate: '2026-11-20T08:00:00.356Z',
    lastname: 'Muster',
    lifecyclestage: 'customer',
    mobilephone: null,
    phone: '+41 78 907 22 28',
  },
  createdAt: '2026-01-17T19:55:04.281Z',
  updatedAt: '2026-11-20T08:00:00.356Z',
  archived: false,
};

describe('contactToCandidate', () => {
  it('maps a contact of the search answer: its phones as stored, links into the portal, the custom data that has values', () => {
    expect(contactToCandidate(ANNA, EU_PORTAL, CUSTOM)).toEqual({
      sourceId: 'hubspot',
      objectType: 'contact',
      recordId: '101',
      kind: 'person',
      name: 'Anna Muster',
      company: 'Muster Treuhand AG',
      contactUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-1/101',
      companyUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-2/201',
      phones: ['+41 78 907 22 28', '+41789072228'],
      customData: { Lifecycle: 'customer', Owner: '5150' },
      modifiedAt: new Date('2026-11-20T08:00:00.356Z'),
    });
  });

  it("takes the primary company's name when its own is empty, and makes no links while the portal is not known", () => {
    const beat: HubSpotRecord = {
      id: '102',
      properties: { firstname: 'Beat', lastname: 'Keller', company: null, associatedcompanyid: '202', mobilephone: '079 123 45 67', hs_calculated_mobile_number: '+41791234567' },
    };
    expect(contactToCandidate(beat, undefined, [], 'Keller Holzbau GmbH')).toMatchObject({
      company: 'Keller Holzbau GmbH',
      contactUri: undefined,
      companyUri: undefined,
      phones: ['079 123 45 67', '+41791234567'],
      customData: {},
    });
  });

  it.each<[string, HubSpotRecord['properties'], string]>([
    ['only a first name', { firstname: 'Chantal', lastname: null }, 'Chantal'],
    ['only a last name', { firstname: '', lastname: 'Favre' }, 'Favre'],
    ['no name: its e-mail', { firstname: null, lastname: '  ', email: 'info@example.ch', phone: '+41 21 552 20 00' }, 'info@example.ch'],
    ['no name nor e-mail: its phone', { phone: '+41 21 552 20 00' }, '+41 21 552 20 00'],
    ['nothing at all: its id', {}, 'Contact 103'],
  ])('names a contact with %s', (_, properties, name) => {
    expect(contactToCandidate({ id: '103', properties }, EU_PORTAL, []).name).toBe(name);
  });

  it('dates a contact without lastmodifieddate by its updatedAt, and one without either not at all', () => {
    expect(contactToCandidate({ id: '104', properties: { lastmodifieddate: null }, updatedAt: '2026-10-01T12:00:00Z' }, EU_PORTAL, []).modifiedAt).toEqual(new Date('2026-10-01T12:00:00Z'));
    expect(contactToCandidate({ id: '104', properties: {} }, EU_PORTAL, []).modifiedAt).toBeUndefined();
  });
});

describe('companyToCandidate', () => {
  it('maps a company of the search answer (no calculated phones on companies): a company card linking to itself', () => {
    const company: HubSpotRecord = {
      id: '201',
      properties: { name: 'Muster Treuhand AG', domain: 'muster-treuhand.ch', phone: '+41 44 668 18 00', hs_lastmodifieddate: '2026-11-02T08:00:00Z', lifecyclestage: 'customer', hs_object_id: '201' },
    };
    expect(companyToCandidate(company, EU_PORTAL, CUSTOM)).toEqual({
      sourceId: 'hubspot',
      objectType: 'company',
      recordId: '201',
      kind: 'company',
      name: 'Muster Treuhand AG',
      contactUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-2/201',
      companyUri: 'https://app-eu1.hubspot.com/contacts/4711/record/0-2/201',
      phones: ['+41 44 668 18 00'],
      customData: { Lifecycle: 'customer' },
      modifiedAt: new Date('2026-11-02T08:00:00Z'),
    });
  });

  it('names a company without a name by its domain, else by its id', () => {
    expect(companyToCandidate({ id: '202', properties: { name: null, domain: 'keller-holzbau.ch' } }, EU_PORTAL, []).name).toBe('keller-holzbau.ch');
    expect(companyToCandidate({ id: '203', properties: { name: '', domain: null, phone: null } }, EU_PORTAL, [])).toMatchObject({ name: 'Company 203', phones: [] });
  });
});
