import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { Secret } from './settings-validation';
import { ConfigurationError, validateSettings } from './settings-validation';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The CONNECTOR contract: "at most 5" results, more slows every stage. */
export const CONTRACT_MAX_RESULTS = 5;

const PORT_RULE = { message: 'must be a whole number from 1 to 65535' };
const TIMEOUT_RULE = { message: 'must be a whole number of milliseconds from 100 to 30000' };
const WORKFLOW_TIMEOUT_RULE = { message: 'must be a whole number of milliseconds from 1000 to 120000' };
const BREAKER_FAILURES_RULE = { message: 'must be a whole number of consecutive failures from 1 to 100' };
const UP_TO_AN_HOUR_RULE = { message: 'must be a whole number of seconds from 1 to 3600' };
const MAX_RESULTS_RULE = { message: `must be a whole number from 1 to ${CONTRACT_MAX_RESULTS} (the CONNECTOR shows at most 5)` };

export class GlobalSettings {
  @IsInt(PORT_RULE)
  @Min(1, PORT_RULE)
  @Max(65535, PORT_RULE)
  PORT: number = 3000;

  @IsString()
  @IsNotEmpty({ message: 'must be an address to listen on, e.g. 0.0.0.0 or 127.0.0.1' })
  HOST: string = '0.0.0.0';

  /**
   * How long an idle client connection stays open. Longer than the idle timeout of a proxy or load
   * balancer in front (nginx and AWS ALB: 60 s), so the proxy closes its pooled connections first: when
   * the gateway closed one first (Node's default: 5 s), a request the proxy sent on it just then would
   * meet a closed connection, and the CONNECTOR a 502.
   */
  @IsInt(UP_TO_AN_HOUR_RULE)
  @Min(1, UP_TO_AN_HOUR_RULE)
  @Max(3600, UP_TO_AN_HOUR_RULE)
  KEEP_ALIVE_S: number = 65;

  @IsString()
  @IsNotEmpty({ message: 'must be the folder that holds the <tenant-id>.env files' })
  TENANTS_DIR: string = './tenants';

  @IsInt(TIMEOUT_RULE)
  @Min(100, TIMEOUT_RULE)
  @Max(30000, TIMEOUT_RULE)
  LOOKUP_TIMEOUT_MS: number = 1500;

  @IsInt(WORKFLOW_TIMEOUT_RULE)
  @Min(1000, WORKFLOW_TIMEOUT_RULE)
  @Max(120000, WORKFLOW_TIMEOUT_RULE)
  WORKFLOW_TIMEOUT_MS: number = 10000;

  @IsInt(BREAKER_FAILURES_RULE)
  @Min(1, BREAKER_FAILURES_RULE)
  @Max(100, BREAKER_FAILURES_RULE)
  BREAKER_FAILURES: number = 5;

  @IsInt(UP_TO_AN_HOUR_RULE)
  @Min(1, UP_TO_AN_HOUR_RULE)
  @Max(3600, UP_TO_AN_HOUR_RULE)
  BREAKER_OPEN_S: number = 30;

  @IsInt(MAX_RESULTS_RULE)
  @Min(1, MAX_RESULTS_RULE)
  @Max(CONTRACT_MAX_RESULTS, MAX_RESULTS_RULE)
  LOOKUP_MAX_RESULTS: number = CONTRACT_MAX_RESULTS;

  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /** When set, `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>`. */
  @Secret()
  @IsOptional()
  @Matches(/^\S{16,}$/, { message: 'must be a secret of at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'must be an absolute http(s) URL such as https://lookup.example.ch' },
  )
  PUBLIC_URL?: string;
}

export interface ResolvedGlobalSettings extends GlobalSettings {
  /** `PUBLIC_URL` without a trailing slash, defaulting to `http://localhost:<PORT>`. */
  readonly publicUrl: string;
}

export function loadGlobalSettings(env: Readonly<Record<string, string | undefined>>): ResolvedGlobalSettings {
  const { settings, problems } = validateSettings(GlobalSettings, env);
  if (problems.length > 0) throw new ConfigurationError('The environment (or .env)', problems);
  const publicUrl = (settings.PUBLIC_URL ?? `http://localhost:${settings.PORT}`).replace(/\/+$/, '');
  return Object.assign(settings, { publicUrl });
}

export const globalSettings = registerAs('global', () => loadGlobalSettings(process.env));
