import { factory } from '../../test/support/factory';
import type { LookupSource } from '../core/source';
import { decodeRecordId, recordIdKey } from '../core/record-id';
import { presentCard } from './card.presenter';

const directory = { id: 'directory', defaultDisplayName: 'Directory' } as LookupSource;
const candidate = factory.candidate({
  recordId: 'abc',
  contactUri: 'https://crm.example.ch/c/abc',
  customData: { Department: 'Sales' },
});

describe('presentCard', () => {
  it('fills every contract field, PascalCase, with the gateway badge as logo', () => {
    const tenant = factory.tenant({ sources: [factory.tenantSource({ source: directory, displayName: 'Phone book' })] });
    expect(presentCard(candidate, tenant, 'https://lookup.example.ch', ['CallFlow', 'CreateTicket'])).toEqual({
      Name: 'Anna Muster',
      Company: 'Muster Treuhand AG',
      ContactUri: 'https://crm.example.ch/c/abc',
      CompanyUri: '',
      Id: 'directory:entry:abc',
      CrmName: 'Phone book',
      CrmLogo: 'https://lookup.example.ch/logos/directory.svg',
      CrmActions: ['CallFlow', 'CreateTicket'],
      CustomData: { Department: 'Sales' },
      CustomFields: { Department: 'Sales' },
    });
  });

  it('uses camelCase keys when the tenant asks, leaving custom data labels alone', () => {
    const tenant = factory.tenant({ responseCase: 'camel', sources: [factory.tenantSource({ source: directory })] });
    const card = presentCard(candidate, tenant, 'http://localhost:3000', ['CallFlow']);
    expect(Object.keys(card)).toEqual(['name', 'company', 'contactUri', 'companyUri', 'id', 'crmName', 'crmLogo', 'crmActions', 'customData', 'customFields']);
    expect(card).toMatchObject({ crmName: 'Directory', crmActions: ['CallFlow'], customData: { Department: 'Sales' } });
  });

  it("uses the tenant's logo override and emits only the custom data keys it chose", () => {
    const tenant = factory.tenant({
      customDataFields: ['CustomFields'],
      sources: [factory.tenantSource({ source: directory, logoUrl: 'https://intranet.example.ch/book.svg' })],
    });
    const card = presentCard(candidate, tenant, 'http://localhost:3000', []);
    expect(card).toMatchObject({ CrmLogo: 'https://intranet.example.ch/book.svg', CustomFields: { Department: 'Sales' } });
    expect(card).not.toHaveProperty('CustomData');
  });

  it("signs the Id with the tenant's key, the same on every lookup, and another tenant's differently", () => {
    const acme = factory.tenant({ id: 'acme', recordIdKey: recordIdKey('a-gateway-secret-of-at-least-32-characters', 'acme'), sources: [factory.tenantSource({ source: directory })] });
    const globex = { ...acme, id: 'globex', recordIdKey: recordIdKey('a-gateway-secret-of-at-least-32-characters', 'globex') };
    const first = (presentCard(candidate, acme, 'https://lookup.example.ch', []) as { Id: string }).Id;
    expect(first).toMatch(/^directory:entry:abc:[\w-]{16}$/);
    expect((presentCard(candidate, acme, 'https://lookup.example.ch', []) as { Id: string }).Id).toBe(first);
    const other = (presentCard(candidate, globex, 'https://lookup.example.ch', []) as { Id: string }).Id;
    expect(other).not.toBe(first);
    expect(decodeRecordId(other, globex.recordIdKey)).toEqual({ sourceId: 'directory', objectType: 'entry', recordId: 'abc' });
  });
});
