import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Min } from 'class-validator';
import { Secret } from '../../config/settings-validation';
import { customDataFields, type CustomDataField } from '../custom-data';

const URL_RULE = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const trimSlash = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.replace(/\/+$/, '') : value);

export const HUBSPOT_OBJECT_TYPES = ['contacts', 'companies'] as const;
export type HubSpotObjectType = (typeof HUBSPOT_OBJECT_TYPES)[number];

export class HubSpotSettings {
  /** Private-app token; enables the source. */
  @Secret() @IsOptional() @IsString() @IsNotEmpty() HUBSPOT_ACCESS_TOKEN?: string;

  @Transform(trimSlash)
  @IsUrl(URL_RULE, { message: 'must be the API base URL, e.g. https://api.hubapi.com' })
  HUBSPOT_BASE_URL: string = 'https://api.hubapi.com';

  /** Portal (hub) id for record links; read from /account-info/v3/details when absent. */
  @IsOptional() @Matches(/^\d+$/, { message: 'must be the numeric portal (hub) id' }) HUBSPOT_PORTAL_ID?: string;

  /** UI address for record links, e.g. https://app-eu1.hubspot.com; read from the account when absent. */
  @IsOptional()
  @Transform(trimSlash)
  @IsUrl(URL_RULE, { message: 'must be the HubSpot UI address, e.g. https://app.hubspot.com or https://app-eu1.hubspot.com' })
  HUBSPOT_APP_URL?: string;

  @Matches(/^\s*(contacts|companies)(\s*,\s*(contacts|companies))*\s*$/, { message: 'must list contacts and/or companies, comma-separated' })
  HUBSPOT_OBJECTS: string = 'contacts,companies';

  /** `Lifecycle=lifecyclestage,Owner=hubspot_owner_id`: label=property pairs shown in CustomData. */
  @IsOptional()
  @Matches(/^\s*[^=,]+=\s*[a-z0-9_]+\s*(,\s*[^=,]+=\s*[a-z0-9_]+\s*)*$/, {
    message: 'must be label=property pairs, comma-separated, e.g. Lifecycle=lifecyclestage',
  })
  HUBSPOT_CUSTOM_DATA?: string;

  /** Searches per second the portal allows; HubSpot documents 5, shared by every app of the portal. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value))
  @IsInt({ message: 'must be a whole number of searches per second (HubSpot allows 5)' })
  @Min(1, { message: 'must be a whole number of searches per second (HubSpot allows 5)' })
  HUBSPOT_SEARCH_RPS: number = 5;

  @Matches(/^[\w-]+$/, { message: 'must be a ticket pipeline id' }) HUBSPOT_TICKET_PIPELINE: string = '0';
  @Matches(/^[\w-]+$/, { message: 'must be a ticket pipeline stage id' }) HUBSPOT_TICKET_STAGE: string = '1';
}

export function hubspotObjects(settings: HubSpotSettings): HubSpotObjectType[] {
  return [...new Set(settings.HUBSPOT_OBJECTS.split(',').map((o) => o.trim() as HubSpotObjectType))];
}

export function hubspotCustomData(settings: HubSpotSettings): CustomDataField[] {
  return customDataFields(settings.HUBSPOT_CUSTOM_DATA);
}
