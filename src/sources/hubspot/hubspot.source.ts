import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import type { PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/contacts';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter';
import type { PhoneIncomingNumber } from '../../phone';
import type { CustomDataField } from '../custom-data';
import type { Candidate, LookupSource, SourceSearch, TenantAttachment } from '../source';
import { AttachedTenants } from '../attached-tenants';
import { HubSpotClient } from './hubspot.client';
import {
  COMPANY_PHONE_PROPERTIES,
  companyToCandidate,
  CONTACT_PHONE_PROPERTIES,
  contactToCandidate,
  HUBSPOT_OWNER_IDS,
  HUBSPOT_RECORD_IDS,
  HUBSPOT_SOURCE_ID,
  type HubSpotRecord,
} from './hubspot.mapper';
import { hubspotCustomData, hubspotObjects, HubSpotSettings, type HubSpotObjectType } from './hubspot.settings';

const SEARCH_LIMIT = 20;
const WARM_UP_TIMEOUT_MS = 10_000;

const PROPERTIES: Readonly<Record<HubSpotObjectType, readonly string[]>> = {
  contacts: ['firstname', 'lastname', 'email', 'company', 'associatedcompanyid', 'lastmodifieddate', ...CONTACT_PHONE_PROPERTIES],
  companies: ['name', 'domain', 'hs_lastmodifieddate', ...COMPANY_PHONE_PROPERTIES],
};
/** HubSpot's standardised phone properties: national significant number, no country code. */
const SEARCHABLE = ['hs_searchable_calculated_phone_number', 'hs_searchable_calculated_mobile_number'] as const;

export interface HubSpotTenant {
  readonly client: HubSpotClient;
  readonly settings: HubSpotSettings;
  readonly objects: readonly HubSpotObjectType[];
  readonly custom: readonly CustomDataField[];
}

interface SearchAnswer {
  readonly total: number;
  readonly results: HubSpotRecord[];
}

/** Finds callers among HubSpot contacts and companies, within the portal's search limits. */
@Injectable()
export class HubSpotSource implements LookupSource<HubSpotSettings> {
  readonly id = HUBSPOT_SOURCE_ID;
  readonly keyPrefix = 'HUBSPOT';
  readonly defaultDisplayName = 'HubSpot';
  readonly badge = { letters: 'HS', color: '#E5593A' };
  readonly recordIds = HUBSPOT_RECORD_IDS;
  readonly userIds = HUBSPOT_OWNER_IDS;
  readonly settingsSchema = HubSpotSettings;

  private readonly tenants = new AttachedTenants<HubSpotSettings, HubSpotTenant>('HubSpot');

  constructor(private readonly http: HttpService) {}

  isEnabled(settings: HubSpotSettings): boolean {
    return settings.HUBSPOT_ACCESS_TOKEN !== undefined;
  }

  async attachTenant({ settings }: TenantAttachment<HubSpotSettings>): Promise<void> {
    const client = new HubSpotClient(this.http, settings.HUBSPOT_BASE_URL, settings.HUBSPOT_ACCESS_TOKEN!, {
      portalId: settings.HUBSPOT_PORTAL_ID,
      appUrl: settings.HUBSPOT_APP_URL,
    }, settings.HUBSPOT_SEARCH_RPS);
    this.tenants.set(settings, { client, settings, objects: hubspotObjects(settings), custom: hubspotCustomData(settings) });
  }

  /** The account's details, for record links. */
  async warmUp(settings: HubSpotSettings): Promise<void> {
    await this.tenantOf(settings).client.portalLinks(Date.now() + WARM_UP_TIMEOUT_MS);
  }

  async search({ settings, number, deadlineAt }: SourceSearch<HubSpotSettings>): Promise<readonly Candidate[]> {
    if (number.kind !== 'phone') return [];
    const tenant = this.tenantOf(settings);
    const links = tenant.client.portalLinks(deadlineAt).catch(() => undefined);
    const found = await Promise.all(tenant.objects.map((object) => this.searchObject(tenant, object, number, deadlineAt)));
    const [contacts, companies] = [found[tenant.objects.indexOf('contacts')] ?? [], found[tenant.objects.indexOf('companies')] ?? []];
    const companyNames = await this.primaryCompanyNames(tenant, contacts, deadlineAt);
    const portal = await links;
    return [
      ...contacts.map((c) => contactToCandidate(c, portal, tenant.custom, companyNames.get(c.properties.associatedcompanyid ?? ''))),
      ...companies.map((c) => companyToCandidate(c, portal, tenant.custom)),
    ];
  }

  tenantOf(settings: HubSpotSettings): HubSpotTenant {
    return this.tenants.of(settings);
  }

  /** One search per object: each searchable phone property in its own filter group (groups are ORed). */
  private async searchObject(tenant: HubSpotTenant, object: HubSpotObjectType, number: PhoneIncomingNumber, deadlineAt: number): Promise<HubSpotRecord[]> {
    const body: PublicObjectSearchRequest = {
      limit: SEARCH_LIMIT,
      properties: [...new Set([...PROPERTIES[object], ...tenant.custom.map((c) => c.field)])],
      filterGroups: SEARCHABLE.map((propertyName) => ({
        filters: [{ propertyName, operator: FilterOperatorEnum.Eq, value: number.nationalSignificant }],
      })),
    };
    const answer = await tenant.client.request<SearchAnswer>({ method: 'POST', path: `/crm/v3/objects/${object}/search`, body, search: true }, deadlineAt);
    return answer.results;
  }

  /** Names of the primary companies of contacts whose own `company` property is empty: one batch read. */
  private async primaryCompanyNames(tenant: HubSpotTenant, contacts: readonly HubSpotRecord[], deadlineAt: number): Promise<Map<string, string>> {
    const ids = [
      ...new Set(contacts.filter((c) => !c.properties.company && c.properties.associatedcompanyid).map((c) => c.properties.associatedcompanyid!)),
    ];
    if (ids.length === 0) return new Map();
    try {
      const answer = await tenant.client.request<{ results: HubSpotRecord[] }>(
        { method: 'POST', path: '/crm/v3/objects/companies/batch/read', body: { properties: ['name'], inputs: ids.map((id) => ({ id })) }, read: true },
        deadlineAt,
      );
      return new Map(answer.results.map((c) => [c.id, c.properties.name ?? '']));
    } catch {
      return new Map(); // the cards still come, without the company name
    }
  }
}

