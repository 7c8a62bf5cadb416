import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { Secret, type SettingProblem } from '../../config/settings-validation';

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const trimSlash = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.replace(/\/+$/, '') : value);

export const DEFAULT_SALESFORCE_API_VERSION = '62.0';
export const DEFAULT_SALESFORCE_OBJECTS = 'Contact,Lead,Account';
export const SUPPORTED_SALESFORCE_OBJECTS = ['Contact', 'Lead', 'Account'] as const;
export type SalesforceObject = (typeof SUPPORTED_SALESFORCE_OBJECTS)[number];
/** A custom field's API name: a letter, letters, digits and `_`, and the `__c` suffix (with a namespace: `ns__Name__c`). */
const CUSTOM_FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*__c$/;

export class SalesforceSettings {
  /** The org's My Domain URL; token requests go there. */
  @IsOptional()
  @Transform(trimSlash)
  @IsUrl(URL_RULE, { message: "must be the org's My Domain URL, e.g. https://acme.my.salesforce.com" })
  SALESFORCE_LOGIN_URL?: string;

  @IsOptional() @IsString() @IsNotEmpty() SALESFORCE_CLIENT_ID?: string;
  @Secret() @IsOptional() @IsString() @IsNotEmpty() SALESFORCE_CLIENT_SECRET?: string;
  @IsOptional() @IsString() @IsNotEmpty() SALESFORCE_USERNAME?: string;
  /** Password with the security token appended, as Salesforce's password flow expects. */
  @Secret() @IsOptional() @IsString() @IsNotEmpty() SALESFORCE_PASSWORD?: string;

  @IsOptional()
  @Transform(trimSlash)
  @IsUrl(URL_RULE, { message: "must be the org's instance URL, e.g. https://acme.my.salesforce.com" })
  SALESFORCE_INSTANCE_URL?: string;

  @Secret() @IsOptional() @IsString() @IsNotEmpty() SALESFORCE_ACCESS_TOKEN?: string;

  @Matches(/^\d{2,3}\.0$/, { message: 'must be a REST API version such as 62.0' })
  SALESFORCE_API_VERSION: string = DEFAULT_SALESFORCE_API_VERSION;

  @Matches(/^\s*(Contact|Lead|Account)(\s*,\s*(Contact|Lead|Account))*\s*$/, {
    message: 'must list objects to search among Contact, Lead, Account, comma-separated',
  })
  SALESFORCE_OBJECTS: string = DEFAULT_SALESFORCE_OBJECTS;

  /** `Title=Title,Owner=Owner.Name`: label=field pairs shown in CustomData. */
  @IsOptional()
  @Matches(/^\s*[^=,]+=\s*[A-Za-z_][A-Za-z0-9_.]*\s*(,\s*[^=,]+=\s*[A-Za-z_][A-Za-z0-9_.]*\s*)*$/, {
    message: 'must be label=field pairs, comma-separated, e.g. Title=Title,Owner=Owner.Name',
  })
  SALESFORCE_CUSTOM_DATA?: string;

  /** `Company` of Leads created by CreateContact (Salesforce requires one). */
  @IsOptional() @IsString() @IsNotEmpty() SALESFORCE_LEAD_COMPANY?: string;

  /**
   * API name of a custom Text field on Case (`Call_Key__c`) the admin created for the gateway, best
   * marked External ID and Unique: a CreateTicket Case carries the write's key in it, so a create
   * whose answer was lost is found again instead of written twice. Unset: Cases carry no key.
   */
  @IsOptional()
  @Matches(CUSTOM_FIELD_NAME, { message: 'must be the API name of a custom Text field on Case, ending in __c, e.g. Call_Key__c' })
  SALESFORCE_CASE_KEY_FIELD?: string;
}

export type SalesforceAuth =
  | { readonly kind: 'client-credentials'; readonly loginUrl: string; readonly clientId: string; readonly clientSecret: string }
  | {
      readonly kind: 'password';
      readonly loginUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly username: string;
      readonly password: string;
    }
  | { readonly kind: 'fixed-token'; readonly instanceUrl: string; readonly accessToken: string };

const OAUTH_KEYS = ['SALESFORCE_LOGIN_URL', 'SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'] as const;
const USER_KEYS = ['SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD'] as const;
const FIXED_KEYS = ['SALESFORCE_INSTANCE_URL', 'SALESFORCE_ACCESS_TOKEN'] as const;

/** The one complete set of credentials, or undefined when the tenant sets none. */
export function salesforceAuth(s: SalesforceSettings): SalesforceAuth | undefined {
  if (s.SALESFORCE_INSTANCE_URL && s.SALESFORCE_ACCESS_TOKEN) {
    return { kind: 'fixed-token', instanceUrl: s.SALESFORCE_INSTANCE_URL, accessToken: s.SALESFORCE_ACCESS_TOKEN };
  }
  if (!s.SALESFORCE_LOGIN_URL || !s.SALESFORCE_CLIENT_ID || !s.SALESFORCE_CLIENT_SECRET) return undefined;
  const oauth = { loginUrl: s.SALESFORCE_LOGIN_URL, clientId: s.SALESFORCE_CLIENT_ID, clientSecret: s.SALESFORCE_CLIENT_SECRET };
  if (s.SALESFORCE_USERNAME && s.SALESFORCE_PASSWORD) return { kind: 'password', ...oauth, username: s.SALESFORCE_USERNAME, password: s.SALESFORCE_PASSWORD };
  return { kind: 'client-credentials', ...oauth };
}

/** A partial set of credentials stops the start, naming what is missing. */
export function salesforceSettingProblems(s: SalesforceSettings): SettingProblem[] {
  const has = (key: keyof SalesforceSettings): boolean => s[key] !== undefined;
  const missing = (keys: readonly (keyof SalesforceSettings)[]): string[] => keys.filter((k) => !has(k));
  const problems: SettingProblem[] = [];
  const fixedGiven = FIXED_KEYS.filter(has);
  const oauthGiven = [...OAUTH_KEYS, ...USER_KEYS].filter(has);
  if (fixedGiven.length > 0 && fixedGiven.length < FIXED_KEYS.length) {
    problems.push({ key: missing(FIXED_KEYS).join(', '), problem: 'missing: a fixed token needs SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN' });
  }
  if (fixedGiven.length === 0 && oauthGiven.length > 0) {
    const needed = USER_KEYS.some(has) ? [...OAUTH_KEYS, ...USER_KEYS] : [...OAUTH_KEYS];
    const absent = missing(needed);
    if (absent.length > 0) {
      const flow = USER_KEYS.some(has) ? 'the username-password flow needs' : 'the client-credentials flow needs';
      problems.push({ key: absent.join(', '), problem: `missing: ${flow} ${needed.join(', ')}` });
    }
  }
  return problems;
}

export function salesforceObjects(s: SalesforceSettings): SalesforceObject[] {
  return [...new Set(s.SALESFORCE_OBJECTS.split(',').map((o) => o.trim() as SalesforceObject))];
}
