import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import { AttachedTenants, type SourceWithTenants } from '../attached-tenants';
import type { PhoneIncomingNumber } from '../../phone';
import { customDataFields, type CustomDataField } from '../custom-data';
import type { Candidate, SourceSearch, TenantAttachment } from '../../core/source';
import { SourceError } from '../../core/source-error';
import { RedisConnection } from '../../shared-state/redis-connection';
import { SugarClient } from './sugar.client';
import { PHONE_FIELDS, phoneFilter } from './sugar-phone-filters';
import { SUGAR_RECORD_IDS, SUGAR_SOURCE_ID, SUGAR_USER_IDS, toCandidate, type SugarRecord } from './sugar.mapper';
import { sugarEnabled, sugarModules, sugarSettingProblems, SugarSettings, type SugarModule } from './sugar.settings';

const SEARCH_LIMIT = 20;
type Trace = SourceSearch<SugarSettings>['trace'];
const WARM_UP_TIMEOUT_MS = 10_000;
const BASE_FIELDS: Readonly<Record<SugarModule, readonly string[]>> = {
  Contacts: ['id', 'name', 'first_name', 'last_name', 'account_name', 'account_id', 'date_modified'],
  Leads: ['id', 'name', 'first_name', 'last_name', 'account_name', 'date_modified'],
  Accounts: ['id', 'name', 'date_modified'],
};

export interface SugarTenant {
  readonly client: SugarClient;
  readonly settings: SugarSettings;
  readonly modules: readonly SugarModule[];
  readonly custom: readonly CustomDataField[];
  /** Global search needs Elasticsearch; once Sugar says it has none, the filter API is used. */
  searchBy: 'globalsearch' | 'filter';
}

/** Finds callers among Sugar Contacts, Leads and Accounts: global search, or the filter API without it. */
@Injectable()
export class SugarSource implements SourceWithTenants<SugarSettings, SugarTenant> {
  readonly id = SUGAR_SOURCE_ID;
  readonly keyPrefix = 'SUGAR';
  readonly defaultDisplayName = 'SugarCRM';
  readonly badge = { letters: 'SC', color: '#7B2A8E' };
  readonly recordIds = SUGAR_RECORD_IDS;
  readonly userIds = SUGAR_USER_IDS;
  readonly settingsSchema = SugarSettings;

  private readonly logger = new Logger(SugarSource.name);
  readonly tenants = new AttachedTenants<SugarSettings, SugarTenant>('Sugar');

  constructor(
    private readonly http: HttpService,
    /** Where the replicas share each tenant's Sugar tokens (Sugar keeps one session per user and platform). */
    private readonly redis: RedisConnection,
  ) {}

  isEnabled(settings: SugarSettings): boolean {
    return sugarEnabled(settings);
  }

  settingProblems(settings: SugarSettings): ReturnType<typeof sugarSettingProblems> {
    return sugarSettingProblems(settings);
  }

  async attachTenant({ tenantId, settings }: TenantAttachment<SugarSettings>): Promise<void> {
    const client = new SugarClient(this.http, tenantId, settings, this.redis);
    this.tenants.set(settings, { client, settings, modules: sugarModules(settings), custom: customDataFields(settings.SUGAR_CUSTOM_DATA), searchBy: 'globalsearch' });
  }

  /** The sign-in. */
  async warmUp(settings: SugarSettings): Promise<void> {
    await this.tenants.of(settings).client.connect(Date.now() + WARM_UP_TIMEOUT_MS);
  }

  async search({ tenantId, settings, number, deadlineAt, trace }: SourceSearch<SugarSettings>): Promise<readonly Candidate[]> {
    if (number.kind !== 'phone') return [];
    const tenant = this.tenants.of(settings);
    const records =
      tenant.searchBy === 'globalsearch' ? await this.globalSearch(tenant, tenantId, number, deadlineAt, trace) : await this.filter(tenant, number, deadlineAt, trace);
    return records.map((r) => toCandidate(r, tenant.client.siteUrl, tenant.custom)).filter((c): c is Candidate => c !== undefined);
  }

  private fields(tenant: SugarTenant, modules: readonly SugarModule[]): string {
    return [...new Set(modules.flatMap((m) => [...BASE_FIELDS[m], ...PHONE_FIELDS[m]]).concat(tenant.custom.map((c) => c.field)))].join(',');
  }

  /** Elasticsearch compares digits only, the query as a substring: the national number finds every form. */
  private async globalSearch(tenant: SugarTenant, tenantId: string, number: PhoneIncomingNumber, deadlineAt: number, trace: Trace): Promise<SugarRecord[]> {
    try {
      const params = { q: number.nationalSignificant, module_list: tenant.modules.join(','), max_num: SEARCH_LIMIT, fields: this.fields(tenant, tenant.modules) };
      trace?.({ kind: 'query', text: `GET /globalsearch?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString()}` });
      const answer = await tenant.client.request<{ records: SugarRecord[] }>({ method: 'GET', path: '/globalsearch', params }, deadlineAt);
      return answer.records;
    } catch (error) {
      if (!(error instanceof SourceError) || error.vendorCode !== 'search_unavailable') throw error;
      tenant.searchBy = 'filter';
      this.logger.warn(`Sugar of tenant ${tenantId} has no search service (search_unavailable): using the filter API from now on`);
      trace?.({ kind: 'note', text: 'Sugar has no search service (search_unavailable): searched with the filter API, as from now on' });
      return this.filter(tenant, number, deadlineAt, trace);
    }
  }

  /** The filter API compares raw strings: one request per module with the number's common forms ORed. */
  private async filter(tenant: SugarTenant, number: PhoneIncomingNumber, deadlineAt: number, trace: Trace): Promise<SugarRecord[]> {
    const answers = await Promise.all(
      tenant.modules.map((module) => {
        const body = { filter: phoneFilter(module, number), fields: this.fields(tenant, [module]), max_num: SEARCH_LIMIT };
        trace?.({ kind: 'query', text: `POST /${module}/filter ${JSON.stringify(body)}` });
        return tenant.client
          .request<{ records: Array<Omit<SugarRecord, '_module'> & { _module?: string }> }>({ method: 'POST', path: `/${module}/filter`, body, read: true }, deadlineAt)
          .then((answer) => answer.records.map((r) => ({ ...r, _module: r._module ?? module }) as SugarRecord));
      }),
    );
    return answers.flat();
  }
}
