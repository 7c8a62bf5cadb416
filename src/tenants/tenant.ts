import type { CountryCode } from 'libphonenumber-js/max';
import type { LookupSource, QuotaLimits } from '../core/source';
import type { Language } from '../calls/call-texts';

export type ResponseCase = 'pascal' | 'camel';
export type CustomDataField = 'CustomData' | 'CustomFields';

/** A source enabled for one tenant, with that tenant's settings for it. */
export interface TenantSource {
  readonly source: LookupSource;
  readonly settings: object;
  /** `CrmName` on the cards. */
  readonly displayName: string;
  /** `CrmLogo` override; the gateway's own badge when absent. */
  readonly logoUrl: string | undefined;
  /** Most lookups per second sent to this source (`<PREFIX>_MAX_RPS`); no limit when absent. */
  readonly maxRps?: number;
  /** Searches per calendar day / month in the tenant's time zone (`<PREFIX>_QUOTA_PER_DAY`, `_PER_MONTH`, or the source's default); no cap when absent. */
  readonly quota?: QuotaLimits;
}

/** How long a source's answer for a number is reused: fresh, then only when the source fails. */
export interface CachePolicy {
  /** 0 turns the cache off. */
  readonly ttlMs: number;
  readonly missTtlMs: number;
  readonly staleMs: number;
}

/** One customer, read from `<tenant-id>.env`. Holds token digests only, never the secrets. */
export interface Tenant {
  readonly id: string;
  readonly file: string;
  /** Lower-case header name, as Node presents incoming headers. */
  readonly authHeader: string;
  readonly tokenDigests: readonly Buffer[];
  readonly defaultRegion: CountryCode;
  readonly responseCase: ResponseCase;
  /** Source ids, highest priority first: breaks ties in ranking. */
  readonly sourceOrder: readonly string[];
  readonly customDataFields: readonly CustomDataField[];
  readonly sources: readonly TenantSource[];
  /** IANA zone for call times sent without an offset. */
  readonly timezone: string;
  /** Language of call subjects and descriptions written into CRMs. */
  readonly language: Language;
  /** Source that takes workflows of unknown callers (no `contactCrmId`). */
  readonly workflowDefaultSource: string | undefined;
  readonly cache: CachePolicy;
  /** Signs the record ids handed to this tenant's CONNECTOR (`RECORD_ID_SECRET`); unsigned ids when absent. */
  readonly recordIdKey: Buffer | undefined;
}
