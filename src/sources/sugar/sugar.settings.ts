import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { Secret, type SettingProblem } from '../../config/settings-validation';

const trimSlash = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.replace(/\/+$/, '') : value);

export const SUGAR_MODULES = ['Contacts', 'Leads', 'Accounts'] as const;
export type SugarModule = (typeof SUGAR_MODULES)[number];

export class SugarSettings {
  /** The site URL, e.g. https://acme.sugarondemand.com. With username and password, enables the source. */
  @IsOptional()
  @Transform(trimSlash)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'must be the Sugar site URL, e.g. https://acme.sugarondemand.com' })
  SUGAR_URL?: string;

  @IsOptional() @IsString() @IsNotEmpty() SUGAR_USERNAME?: string;
  @Secret() @IsOptional() @IsString() @IsNotEmpty() SUGAR_PASSWORD?: string;

  @IsString() @IsNotEmpty() SUGAR_CLIENT_ID: string = 'sugar';
  @Secret() @IsString() SUGAR_CLIENT_SECRET: string = '';

  /** `base` shares the user's single session with people logging in; a registered platform does not. */
  @Matches(/^[a-z][a-z0-9_]*$/, { message: 'must be a platform name such as base or a registered one like phone_gateway' })
  SUGAR_PLATFORM: string = 'base';

  @Matches(/^v\d\d(_\d{1,2})?$/, { message: 'must be a REST version such as v11, v10 or v11_20' })
  SUGAR_API_VERSION: string = 'v11';

  @Matches(/^\s*(Contacts|Leads|Accounts)(\s*,\s*(Contacts|Leads|Accounts))*\s*$/, { message: 'must list modules among Contacts, Leads, Accounts, comma-separated' })
  SUGAR_MODULES: string = SUGAR_MODULES.join(',');

  /** `Title=title,Owner=assigned_user_name`: label=field pairs shown in CustomData. */
  @IsOptional()
  @Matches(/^\s*[^=,]+=\s*[a-z0-9_]+\s*(,\s*[^=,]+=\s*[a-z0-9_]+\s*)*$/, { message: 'must be label=field pairs, comma-separated, e.g. Title=title' })
  SUGAR_CUSTOM_DATA?: string;
}

const CREDENTIAL_KEYS = ['SUGAR_URL', 'SUGAR_USERNAME', 'SUGAR_PASSWORD'] as const;

export function sugarEnabled(settings: SugarSettings): boolean {
  return CREDENTIAL_KEYS.every((key) => settings[key] !== undefined);
}

export function sugarSettingProblems(settings: SugarSettings): SettingProblem[] {
  const given = CREDENTIAL_KEYS.filter((key) => settings[key] !== undefined);
  if (given.length === 0 || given.length === CREDENTIAL_KEYS.length) return [];
  const missing = CREDENTIAL_KEYS.filter((key) => settings[key] === undefined);
  return [{ key: missing.join(', '), problem: `missing: Sugar needs ${CREDENTIAL_KEYS.join(', ')}` }];
}

export function sugarModules(settings: SugarSettings): SugarModule[] {
  return [...new Set(settings.SUGAR_MODULES.split(',').map((m) => m.trim() as SugarModule))];
}
