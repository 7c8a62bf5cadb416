import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import type { FilterGroup, PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/contacts';
import type { PhoneIncomingNumber } from '../../phone';
import type { CustomDataField } from '../custom-data';
import type { Candidate, SourceSearch, TenantAttachment } from '../../core/source';
import { AttachedTenants, type SourceWithTenants } from '../attached-tenants';
import { SourceError } from '../../core/source-error';
import { RedisConnection } from '../../shared-state/redis-connection';
import { HubSpotClient, type PortalLinks } from './hubspot.client';
import { PhonePropertyCheck, phoneFilterGroups, SEARCHABLE_PHONE_PROPERTIES } from './hubspot-phone-search';
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
/**
 * Each object's search stops this long before the deadline handed to the source (the lookup's plus
 * the core's short grace), so what one object found is answered in time when another's search hangs.
 */
const ANSWER_MARGIN_MS = 100;

const PROPERTIES: Readonly<Record<HubSpotObjectType, readonly string[]>> = {
  contacts: ['firstname', 'lastname', 'email', 'company', 'associatedcompanyid', 'lastmodifieddate', ...CONTACT_PHONE_PROPERTIES],
  companies: ['name', 'domain', 'hs_lastmodifieddate', ...COMPANY_PHONE_PROPERTIES],
};

export interface HubSpotTenant {
  readonly client: HubSpotClient;
  readonly settings: HubSpotSettings;
  readonly objects: readonly HubSpotObjectType[];
  readonly custom: readonly CustomDataField[];
  /** Which searchable phone properties the portal's companies have: checked once, from the attach on. */
  readonly companyPhones: PhonePropertyCheck;
}

/** What one lookup's searches share. */
interface LookupContext {
  readonly tenantId: string;
  readonly tenant: HubSpotTenant;
  readonly number: PhoneIncomingNumber;
  readonly links: Promise<PortalLinks | undefined>;
  /** When every search of this lookup must have answered. */
  readonly answerBy: number;
  readonly partial?: (why: string) => void;
  readonly trace?: SourceSearch<HubSpotSettings>['trace'];
}

interface SearchAnswer {
  readonly total: number;
  readonly results: HubSpotRecord[];
}

/** Finds callers among HubSpot contacts and companies, within the portal's search limits. */
@Injectable()
export class HubSpotSource implements SourceWithTenants<HubSpotSettings, HubSpotTenant> {
  readonly id = HUBSPOT_SOURCE_ID;
  readonly keyPrefix = 'HUBSPOT';
  readonly defaultDisplayName = 'HubSpot';
  readonly badge = { letters: 'HS', color: '#E5593A' };
  readonly recordIds = HUBSPOT_RECORD_IDS;
  readonly userIds = HUBSPOT_OWNER_IDS;
  readonly settingsSchema = HubSpotSettings;

  private readonly logger = new Logger(HubSpotSource.name);
  readonly tenants = new AttachedTenants<HubSpotSettings, HubSpotTenant>('HubSpot');

  constructor(
    private readonly http: HttpService,
    /** Where the replicas share each HubSpot token's search budget. */
    private readonly redis: RedisConnection,
  ) {}

  isEnabled(settings: HubSpotSettings): boolean {
    return settings.HUBSPOT_ACCESS_TOKEN !== undefined;
  }

  async attachTenant({ tenantId, settings }: TenantAttachment<HubSpotSettings>): Promise<void> {
    const client = new HubSpotClient(
      this.http,
      settings.HUBSPOT_BASE_URL,
      settings.HUBSPOT_ACCESS_TOKEN!,
      { portalId: settings.HUBSPOT_PORTAL_ID, appUrl: settings.HUBSPOT_APP_URL },
      settings.HUBSPOT_SEARCH_RPS,
      this.redis,
    );
    const companyPhones = new PhonePropertyCheck(client, 'companies', (error) =>
      this.warn(tenantId, 'companies', error, `which phone properties companies have is not known yet; their phone's written forms are searched meanwhile`),
    );
    this.tenants.set(settings, { client, settings, objects: hubspotObjects(settings), custom: hubspotCustomData(settings), companyPhones });
  }

  /** The account's details (record links), and which phone properties companies have. */
  async warmUp(settings: HubSpotSettings): Promise<void> {
    const tenant = this.tenants.of(settings);
    if (tenant.objects.includes('companies')) tenant.companyPhones.start(Date.now() + WARM_UP_TIMEOUT_MS);
    await tenant.client.portalLinks(Date.now() + WARM_UP_TIMEOUT_MS);
  }

  /**
   * Each object's search is its own outcome: when one fails (refused, HubSpot down, too slow) the
   * others' matches are answered, the failure is logged, and the core is told the answer is partial.
   * When every object's search fails, the source fails.
   */
  async search({ tenantId, settings, number, deadlineAt, partial, trace }: SourceSearch<HubSpotSettings>): Promise<readonly Candidate[]> {
    if (number.kind !== 'phone') return [];
    const tenant = this.tenants.of(settings);
    const answerBy = deadlineAt - ANSWER_MARGIN_MS;
    const lookup: LookupContext = { tenantId, tenant, number, answerBy, partial, trace, links: tenant.client.portalLinks(answerBy).catch(() => undefined) };
    const settled = await Promise.allSettled(tenant.objects.map((object) => (object === 'contacts' ? this.contacts(lookup) : this.companies(lookup))));
    const failures = settled.flatMap((result, i) => (result.status === 'rejected' ? [{ object: tenant.objects[i]!, error: result.reason as unknown }] : []));
    if (failures.length === settled.length) throw failures[0]!.error;
    for (const { object, error } of failures) this.answeredWithout(tenantId, partial, object, error, `${object} not searched; answered with the other objects' matches`);
    return settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  }

  /** Contacts on HubSpot's searchable phone properties (documented for contacts), with their companies' names. */
  private async contacts({ tenantId, tenant, number, links, answerBy, partial, trace }: LookupContext): Promise<Candidate[]> {
    const contacts = await this.searchObject(tenant, 'contacts', phoneFilterGroups(SEARCHABLE_PHONE_PROPERTIES, number), answerBy, trace);
    const companyNames = await this.primaryCompanyNames(tenant, contacts, answerBy, trace).catch((error: unknown) => {
      this.answeredWithout(tenantId, partial, 'companies', error, "contacts' company names not read; their cards come without them");
      return new Map<string, string>();
    });
    const portal = await links;
    return contacts.map((c) => contactToCandidate(c, portal, tenant.custom, companyNames.get(c.properties.associatedcompanyid ?? '')));
  }

  /** Companies on the searchable phone properties they have, else on `phone`'s written forms. */
  private async companies({ tenant, number, links, answerBy, trace }: LookupContext): Promise<Candidate[]> {
    const searchable = await tenant.companyPhones.properties(answerBy);
    if (searchable === undefined) trace?.({ kind: 'note', text: "companies: which searchable phone properties they have is not known yet; searched on `phone`'s written forms" });
    const companies = await this.searchObject(tenant, 'companies', phoneFilterGroups(searchable, number), answerBy, trace);
    const portal = await links;
    return companies.map((c) => companyToCandidate(c, portal, tenant.custom));
  }

  private async searchObject(
    tenant: HubSpotTenant,
    object: HubSpotObjectType,
    filterGroups: FilterGroup[],
    deadlineAt: number,
    trace: LookupContext['trace'],
  ): Promise<HubSpotRecord[]> {
    const body: PublicObjectSearchRequest = {
      limit: SEARCH_LIMIT,
      properties: [...new Set([...PROPERTIES[object], ...tenant.custom.map((c) => c.field)])],
      filterGroups,
    };
    const path = `/crm/v3/objects/${object}/search`;
    trace?.({ kind: 'query', text: `POST ${path} ${JSON.stringify(body)}` });
    const answer = await tenant.client.request<SearchAnswer>({ method: 'POST', path, body, search: true }, deadlineAt);
    return answer.results;
  }

  /** Names of the primary companies of contacts whose own `company` property is empty: one batch read. */
  private async primaryCompanyNames(
    tenant: HubSpotTenant,
    contacts: readonly HubSpotRecord[],
    deadlineAt: number,
    trace: LookupContext['trace'],
  ): Promise<Map<string, string>> {
    const ids = [
      ...new Set(contacts.filter((c) => !c.properties.company && c.properties.associatedcompanyid).map((c) => c.properties.associatedcompanyid!)),
    ];
    if (ids.length === 0) return new Map();
    // `propertiesWithHistory` is required by HubSpot's spec of this body, even empty.
    const body = { inputs: ids.map((id) => ({ id })), properties: ['name'], propertiesWithHistory: [] };
    trace?.({ kind: 'query', text: `POST /crm/v3/objects/companies/batch/read ${JSON.stringify(body)}` });
    const answer = await tenant.client.request<{ results: HubSpotRecord[] }>({ method: 'POST', path: '/crm/v3/objects/companies/batch/read', body, read: true }, deadlineAt);
    return new Map(answer.results.map((c) => [c.id, c.properties.name ?? '']));
  }

  /** A part of HubSpot's answer that failed: logged once, with the tenant and HubSpot's reason, never the number. */
  private warn(tenantId: string, object: HubSpotObjectType, error: unknown, consequence: string): string {
    const { code, vendorCode, reason } =
      error instanceof SourceError ? { code: error.code, vendorCode: error.vendorCode, reason: error.message } : { code: 'INTERNAL', vendorCode: undefined, reason: String(error) };
    this.logger.warn({ tenant: tenantId, source: HUBSPOT_SOURCE_ID, object, code, vendorCode, reason }, `HubSpot of tenant ${tenantId}: ${consequence} (${code})`);
    return `${consequence} (${code}: ${reason})`;
  }

  /** The lookup is answered without this part: said in the log, and to the core, which does not cache the answer. */
  private answeredWithout(tenantId: string, partial: ((why: string) => void) | undefined, object: HubSpotObjectType, error: unknown, consequence: string): void {
    const why = this.warn(tenantId, object, error, consequence);
    partial?.(why);
  }
}

