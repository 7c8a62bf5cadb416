import { Transform } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Min, ValidateBy } from 'class-validator';
import { IANAZone } from 'luxon';
import { LANGUAGES } from '../calls/call-texts';
import { getCountries } from 'libphonenumber-js/max';
import { Secret } from '../config/settings-validation';

export const MIN_TOKEN_LENGTH = 8;
export const CUSTOM_DATA_FIELDS = ['CustomData', 'CustomFields'] as const;
const COUNTRIES: readonly string[] = getCountries();

/**
 * Header names a token must not travel in: hop-by-hop and framing headers (a proxy may drop or rewrite
 * them), headers the gateway or a proxy sets itself (`X-Request-Id` is echoed and logged), and ones
 * that browsers, caches and logs treat as their own.
 */
const RESERVED_HEADERS = [
  'accept', 'authorization', 'cache-control', 'connection', 'cookie', 'expect', 'forwarded', 'host', 'keep-alive',
  'origin', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'range', 'referer', 'set-cookie',
  'te', 'traceparent', 'tracestate', 'trailer', 'transfer-encoding', 'true-client-ip', 'upgrade', 'user-agent', 'via',
  'x-client-ip', 'x-correlation-id', 'x-real-ip', 'x-request-id',
];
/** `authorization` too: its values are `<scheme> <credentials>`, with a space a TOKEN may not hold, and proxies log it. */
const RESERVED_HEADER_PREFIXES = ['accept-', 'cf-', 'content-', 'if-', 'sec-', 'x-amzn-', 'x-b3-', 'x-forwarded-'];

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.includes(lower) || RESERVED_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** The keys every tenant file may set, whatever sources it uses. */
export class TenantCoreSettings {
  @Secret()
  @IsDefined({ message: 'missing: set one or more secrets, comma-separated (the CONNECTOR sends one of them)' })
  @Matches(new RegExp(`^[^,\\s]{${MIN_TOKEN_LENGTH},}(\\s*,\\s*[^,\\s]{${MIN_TOKEN_LENGTH},})*$`), {
    message: `must be one or more tokens of at least ${MIN_TOKEN_LENGTH} characters without spaces, separated by commas`,
  })
  TOKEN: string;

  @Matches(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, { message: 'must be an HTTP header name (letters, digits and -)' })
  @ValidateBy(
    { name: 'isFreeHeader', validator: { validate: (value: unknown) => typeof value === 'string' && !isReservedHeader(value) } },
    { message: 'names a header that proxies, browsers or the gateway use for something else (Host, Cookie, Content-*, X-Forwarded-*, X-Request-Id, …); choose another, e.g. X-Execution-Token' },
  )
  AUTH_HEADER: string = 'X-Execution-Token';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(COUNTRIES, { message: 'must be a two-letter ISO 3166 country code, e.g. CH, DE, AT, FR, IT, GB, US' })
  DEFAULT_REGION: string = 'CH';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(['pascal', 'camel'], { message: 'must be pascal (Name, Company, …) or camel (name, company, …)' })
  RESPONSE_CASE: 'pascal' | 'camel' = 'pascal';

  @IsOptional()
  @IsString()
  CRM_ORDER?: string;

  /** The templates this tenant uses, by id (`pipedrive,zoho`): docs/templates.md. */
  @IsOptional()
  @Matches(/^\s*[A-Za-z][A-Za-z0-9-]*(\s*,\s*[A-Za-z][A-Za-z0-9-]*)*\s*$/, { message: 'must list template ids, comma-separated, e.g. pipedrive' })
  TEMPLATES?: string;

  @ValidateBy(
    { name: 'isTimeZone', validator: { validate: (value: unknown) => typeof value === 'string' && isTimeZone(value) } },
    { message: 'must be an IANA time zone such as Europe/Zurich' },
  )
  TIMEZONE: string = 'Europe/Zurich';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(LANGUAGES, { message: `must be one of ${LANGUAGES.join(', ')}` })
  LANGUAGE: (typeof LANGUAGES)[number] = 'en';

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsString()
  WORKFLOW_DEFAULT_CRM?: string;

  @IsInt({ message: 'must be a whole number of seconds (0 turns the cache off)' })
  @Min(0, { message: 'must be a whole number of seconds (0 turns the cache off)' })
  CACHE_TTL_S: number = 60;

  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(0, { message: 'must be a whole number of seconds' })
  CACHE_MISS_TTL_S: number = 30;

  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(0, { message: 'must be a whole number of seconds' })
  CACHE_STALE_S: number = 86400;

  @Matches(/^(CustomData|CustomFields)(\s*,\s*(CustomData|CustomFields))?$/, {
    message: 'must be CustomData, CustomFields, or both separated by a comma',
  })
  CUSTOM_DATA_FIELDS: string = CUSTOM_DATA_FIELDS.join(',');
}

const commonSchemas = new Map<string, new () => object>();

/** Zones already checked: luxon's check builds an `Intl.DateTimeFormat` each time, a millisecond or so. */
const checkedZones = new Map<string, boolean>();

function isTimeZone(zone: string): boolean {
  let valid = checkedZones.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    // Bounded: a folder of files each naming another invalid zone must not grow it without end.
    if (checkedZones.size < 1000) checkedZones.set(zone, valid);
  }
  return valid;
}

/**
 * `<PREFIX>_NAME`, `<PREFIX>_LOGO_URL` and `<PREFIX>_MAX_RPS`, which every source has; built once per
 * prefix. Built per tenant file, each class would add its rules to class-validator's global registry for
 * good: memory and validation time growing with every file read, at start and at every reload.
 */
export function sourceCommonSchema(prefix: string): new () => object {
  let schema = commonSchemas.get(prefix);
  if (!schema) {
    schema = buildSourceCommonSchema(prefix);
    commonSchemas.set(prefix, schema);
  }
  return schema;
}

function buildSourceCommonSchema(prefix: string): new () => object {
  class SourceDisplaySettings {}
  const nameKey = `${prefix}_NAME`;
  const logoKey = `${prefix}_LOGO_URL`;
  const rpsKey = `${prefix}_MAX_RPS`;
  IsOptional()(SourceDisplaySettings.prototype, rpsKey);
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))(SourceDisplaySettings.prototype, rpsKey);
  Min(0, { message: 'must be the most lookups per second sent to this source (0 = no limit)' })(SourceDisplaySettings.prototype, rpsKey);
  for (const [quotaKey, period] of [
    [`${prefix}_QUOTA_PER_DAY`, 'day'],
    [`${prefix}_QUOTA_PER_MONTH`, 'month'],
  ] as const) {
    IsOptional()(SourceDisplaySettings.prototype, quotaKey);
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))(SourceDisplaySettings.prototype, quotaKey);
    IsInt({ message: `must be the most searches sent to this source per calendar ${period} (0 = no cap)` })(SourceDisplaySettings.prototype, quotaKey);
    Min(0, { message: `must be the most searches sent to this source per calendar ${period} (0 = no cap)` })(SourceDisplaySettings.prototype, quotaKey);
  }
  IsOptional()(SourceDisplaySettings.prototype, nameKey);
  IsNotEmpty({ message: 'must be the name shown as the CRM tooltip' })(SourceDisplaySettings.prototype, nameKey);
  IsOptional()(SourceDisplaySettings.prototype, logoKey);
  IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'must be an absolute http(s) URL of an image' },
  )(SourceDisplaySettings.prototype, logoKey);
  return SourceDisplaySettings;
}
