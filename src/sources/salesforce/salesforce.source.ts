import { Injectable, Optional } from '@nestjs/common';
import { RedisConnection } from '../../shared-state/redis-connection';
import { AttachedTenants, type SourceWithTenants } from '../attached-tenants';
import type { Candidate, SourceSearch, TenantAttachment } from '../../core/source';
import { SalesforceClient } from './salesforce.client';
import { requestedFields, type VisibleFields } from './salesforce-fields';
import { SALESFORCE_RECORD_IDS, SALESFORCE_SOURCE_ID, SALESFORCE_USER_IDS, toCandidate, type SalesforceRecord } from './salesforce.mapper';
import { buildPhoneSosl, phoneSearchTerms, type ReturningClause } from './salesforce-sosl';
import { customDataFields, type CustomDataField } from '../custom-data';
import {
  salesforceAuth,
  salesforceObjects,
  salesforceSettingProblems,
  SalesforceSettings,
  type SalesforceObject,
} from './salesforce.settings';

/** Records per object in one search; the lookup shows five at most. */
const SEARCH_LIMIT = 20;
const WARM_UP_TIMEOUT_MS = 15_000;

export interface SalesforceTenant {
  readonly client: SalesforceClient;
  readonly settings: SalesforceSettings;
  readonly objects: readonly SalesforceObject[];
  readonly custom: readonly CustomDataField[];
  /** Visible fields per object, read once from `describe`; a failed read is retried next time. */
  readonly visible: Map<SalesforceObject, Promise<VisibleFields>>;
}

interface DescribeResult {
  readonly fields: ReadonlyArray<{ readonly name: string; readonly relationshipName?: string | null }>;
}

/** Finds callers among Contacts, Leads (not converted) and Accounts with one SOSL search. */
@Injectable()
export class SalesforceSource implements SourceWithTenants<SalesforceSettings, SalesforceTenant> {
  readonly id = SALESFORCE_SOURCE_ID;
  readonly keyPrefix = 'SALESFORCE';
  readonly defaultDisplayName = 'Salesforce';
  readonly badge = { letters: 'SF', color: '#0B5CAB' };
  readonly recordIds = SALESFORCE_RECORD_IDS;
  readonly userIds = SALESFORCE_USER_IDS;
  readonly settingsSchema = SalesforceSettings;

  readonly tenants = new AttachedTenants<SalesforceSettings, SalesforceTenant>('Salesforce');

  constructor(
    /** Where the replicas share each tenant's token, which also outlives a restart. */
    @Optional() private readonly redis?: RedisConnection,
  ) {}

  isEnabled(settings: SalesforceSettings): boolean {
    return salesforceAuth(settings) !== undefined;
  }

  settingProblems(settings: SalesforceSettings): ReturnType<typeof salesforceSettingProblems> {
    return salesforceSettingProblems(settings);
  }

  async attachTenant({ tenantId, settings }: TenantAttachment<SalesforceSettings>): Promise<void> {
    const tenant: SalesforceTenant = {
      client: new SalesforceClient(tenantId, salesforceAuth(settings)!, settings.SALESFORCE_API_VERSION, Date.now, this.redis),
      settings,
      objects: salesforceObjects(settings),
      custom: customDataFields(settings.SALESFORCE_CUSTOM_DATA),
      visible: new Map(),
    };
    this.tenants.set(settings, tenant);
  }

  /** The token and the field lists. */
  async warmUp(settings: SalesforceSettings): Promise<void> {
    const tenant = this.tenants.of(settings);
    const deadlineAt = Date.now() + WARM_UP_TIMEOUT_MS;
    await tenant.client.connect(WARM_UP_TIMEOUT_MS);
    await Promise.all(tenant.objects.map((object) => this.visibleFields(tenant, object, deadlineAt)));
  }

  async search({ settings, number, deadlineAt, trace }: SourceSearch<SalesforceSettings>): Promise<readonly Candidate[]> {
    if (number.kind !== 'phone') return [];
    const tenant = this.tenants.of(settings);
    const returning = await Promise.all(tenant.objects.map((object) => this.returning(tenant, object, deadlineAt)));
    const sosl = buildPhoneSosl(phoneSearchTerms(number), returning);
    trace?.({ kind: 'query', text: `GET /search?q=${sosl}` });
    const body = await tenant.client.request<{ searchRecords?: SalesforceRecord[] } | SalesforceRecord[]>(
      { method: 'GET', url: `/search?q=${encodeURIComponent(sosl)}` },
      deadlineAt,
    );
    const records = Array.isArray(body) ? body : (body.searchRecords ?? []);
    const instanceUrl = tenant.client.instanceUrl ?? '';
    return records.map((record) => toCandidate(record, instanceUrl, tenant.custom)).filter((c): c is Candidate => c !== undefined);
  }

  private async returning(tenant: SalesforceTenant, object: SalesforceObject, deadlineAt: number): Promise<ReturningClause> {
    const fields = requestedFields(object, tenant.custom, await this.visibleFields(tenant, object, deadlineAt));
    return { object, fields, where: object === 'Lead' ? 'IsConverted = false' : undefined, limit: SEARCH_LIMIT };
  }

  private visibleFields(tenant: SalesforceTenant, object: SalesforceObject, deadlineAt: number): Promise<VisibleFields> {
    let visible = tenant.visible.get(object);
    if (!visible) {
      visible = tenant.client
        .request<DescribeResult>({ method: 'GET', url: `/sobjects/${object}/describe` }, deadlineAt)
        .then((describe) => ({
          names: new Set(describe.fields.map((f) => f.name)),
          relationships: new Set(describe.fields.map((f) => f.relationshipName).filter((r): r is string => !!r)),
        }));
      tenant.visible.set(object, visible);
      visible.catch(() => tenant.visible.delete(object));
    }
    return visible;
  }
}
