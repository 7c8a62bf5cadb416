import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min, ValidateBy } from 'class-validator';
import proxyAddr from 'proxy-addr';
import { Secret } from './settings-validation';
import { ConfigurationError, declaredKeys, describeValue, distanceToNearestKey, nearestKey, unknownKeyProblem, validateSettings, type SettingProblem } from './settings-validation';

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
const HEADERS_TIMEOUT_RULE = { message: 'must be a whole number of seconds from 1 to 300' };
const CONNECTIONS_RULE = { message: 'must be a whole number of connections from 10 to 1000000' };
const LOOKUP_BODY_RULE = { message: 'must be a whole number of bytes from 256 to 1048576' };
const WORKFLOW_BODY_RULE = { message: 'must be a whole number of bytes from 1024 to 1048576' };
const AUTH_FAILURES_RULE = { message: 'must be a whole number of failed attempts from 0 (no limit) to 100000' };
const REDIS_URL_RULE = { message: 'must be a redis:// or rediss:// URL, e.g. rediss://gateway:secret@redis.example.ch:6380/0' };
const REDIS_KEY_PREFIX_RULE = { message: 'must be 1 to 64 letters, digits or . _ : - (e.g. connector-gateway:)' };
const REDIS_TIMEOUT_RULE = { message: 'must be a whole number of milliseconds from 1 to 1000' };
const RETRY_FIRST_RULE = { message: 'must be a whole number of seconds from 1 to 3600' };
const RETRY_MAX_RULE = { message: 'must be a whole number of seconds from 1 to 86400' };
const RETRY_FOR_RULE = { message: 'must be a whole number of hours from 1 to 720' };
const SEARCH_LAG_RULE = { message: 'must be a whole number of seconds from 0 to 3600' };
const ADMIN_TOKEN_RULE = { message: 'must be a secret of at least 24 characters without spaces (openssl rand -base64 24)' };
const TRUST_PROXY_RULE = {
  message: 'must be the number of proxies in front (e.g. 1), or their addresses/CIDRs, comma-separated (e.g. loopback or 10.0.0.0/8)',
};

/** `TRUST_PROXY` as Express takes it: a hop count, or addresses and CIDRs (`loopback`, `10.0.0.0/8`, …). */
export function trustProxyValue(value: string): number | string[] {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value.split(',').map((part) => part.trim());
}

function isTrustProxy(value: unknown): boolean {
  if (typeof value !== 'string' || value.trim() === '') return false;
  const parsed = trustProxyValue(value);
  if (typeof parsed === 'number') return parsed >= 1 && parsed <= 10;
  try {
    proxyAddr.compile(parsed);
    return true;
  } catch {
    return false;
  }
}

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

  /** How long a client may take to send a request's headers; also how long a new connection may stay silent. */
  @IsInt(HEADERS_TIMEOUT_RULE)
  @Min(1, HEADERS_TIMEOUT_RULE)
  @Max(300, HEADERS_TIMEOUT_RULE)
  HEADERS_TIMEOUT_S: number = 10;

  /** How long a client may take to send a whole request (headers and body); the answer's time is not counted. */
  @IsInt(UP_TO_AN_HOUR_RULE)
  @Min(1, UP_TO_AN_HOUR_RULE)
  @Max(3600, UP_TO_AN_HOUR_RULE)
  REQUEST_TIMEOUT_S: number = 30;

  /** Client connections open at once; more are refused at once, so file descriptors remain for the CRMs. */
  @IsInt(CONNECTIONS_RULE)
  @Min(10, CONNECTIONS_RULE)
  @Max(1_000_000, CONNECTIONS_RULE)
  MAX_CONNECTIONS: number = 500;

  @IsInt(LOOKUP_BODY_RULE)
  @Min(256, LOOKUP_BODY_RULE)
  @Max(1_048_576, LOOKUP_BODY_RULE)
  LOOKUP_MAX_BODY_BYTES: number = 2048;

  @IsInt(WORKFLOW_BODY_RULE)
  @Min(1024, WORKFLOW_BODY_RULE)
  @Max(1_048_576, WORKFLOW_BODY_RULE)
  WORKFLOW_MAX_BODY_BYTES: number = 8192;

  /** Failed token attempts one client address may make per minute; past them it gets 429 for a minute. */
  @IsInt(AUTH_FAILURES_RULE)
  @Min(0, AUTH_FAILURES_RULE)
  @Max(100_000, AUTH_FAILURES_RULE)
  AUTH_FAILURES_PER_MINUTE: number = 30;

  /** The proxies in front whose `X-Forwarded-For` names the client; unset, the client is the connection's peer. */
  @IsOptional()
  @ValidateBy({ name: 'isTrustProxy', validator: { validate: isTrustProxy } }, TRUST_PROXY_RULE)
  TRUST_PROXY?: string;

  /** Signs the record ids the gateway hands out, so a workflow can only name records it issued, for its own tenant. */
  @Secret()
  @IsOptional()
  @Matches(/^\S{32,}$/, { message: 'must be a secret of at least 32 characters without spaces' })
  RECORD_ID_SECRET?: string;

  @IsString()
  @IsNotEmpty({ message: 'must be the folder that holds the <tenant-id>.env files' })
  TENANTS_DIR: string = './tenants';

  /**
   * A folder of the admin's own template files (`*.yaml`, docs/templates.md), read at start beside the
   * shipped ones in `templates/`; unset, only the shipped templates.
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'must be a folder of template files (*.yaml), e.g. ./my-templates' })
  TEMPLATES_DIR?: string;

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

  /**
   * The Redis every replica shares (lookup cache, request budgets, first workflow requests, Sugar
   * sessions). Unset: one process keeps all of it in memory, as a single instance needs.
   */
  @Secret()
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, REDIS_URL_RULE)
  REDIS_URL?: string;

  /** Put before every key, so several gateways (or other programs) can share one Redis. */
  @Matches(/^[A-Za-z0-9._:-]{1,64}$/, REDIS_KEY_PREFIX_RULE)
  REDIS_KEY_PREFIX: string = 'connector-gateway:';

  /**
   * How long a lookup waits for Redis before it answers from the replica's memory instead. Redis answers
   * in well under a millisecond; the rest is this process's own event loop, busy in a burst of lookups.
   */
  @IsInt(REDIS_TIMEOUT_RULE)
  @Min(1, REDIS_TIMEOUT_RULE)
  @Max(1000, REDIS_TIMEOUT_RULE)
  REDIS_TIMEOUT_MS: number = 50;

  /**
   * Where the gateway keeps what must outlive a restart: the outbox of workflow writes waiting for their
   * CRM (`outbox.sqlite`). Put it on a persistent volume.
   */
  @IsString()
  @IsNotEmpty({ message: 'must be a folder, e.g. ./data or /var/lib/connector-gateway' })
  DATA_DIR: string = './data';

  /** The first wait before a queued workflow write is tried again; it doubles (with jitter) up to `WORKFLOW_RETRY_MAX_S`. */
  @IsInt(RETRY_FIRST_RULE)
  @Min(1, RETRY_FIRST_RULE)
  @Max(3600, RETRY_FIRST_RULE)
  WORKFLOW_RETRY_FIRST_S: number = 5;

  @IsInt(RETRY_MAX_RULE)
  @Min(1, RETRY_MAX_RULE)
  @Max(86400, RETRY_MAX_RULE)
  WORKFLOW_RETRY_MAX_S: number = 300;

  /** How long a queued write is tried before it becomes a dead letter. */
  @IsInt(RETRY_FOR_RULE)
  @Min(1, RETRY_FOR_RULE)
  @Max(720, RETRY_FOR_RULE)
  WORKFLOW_RETRY_FOR_H: number = 72;

  /**
   * How long HubSpot's search may take to show a record just written ("it may take a few moments for
   * newly created objects to appear in search"). A HubSpot call whose create may have been written
   * without an answer is looked for by its key no sooner, and only then sent again if it is not there.
   */
  @IsInt(SEARCH_LAG_RULE)
  @Min(0, SEARCH_LAG_RULE)
  @Max(3600, SEARCH_LAG_RULE)
  HUBSPOT_SEARCH_LAG_S: number = 30;

  /** Opens the admin API (`/admin/…`) to `Authorization: Bearer <ADMIN_TOKEN>`; unset, it is off (404). */
  @Secret()
  @IsOptional()
  @Matches(/^\S{24,}$/, ADMIN_TOKEN_RULE)
  ADMIN_TOKEN?: string;

  /**
   * Swagger UI at `/docs` and the OpenAPI document at `/docs-json`, open without a token: they describe
   * the routes (as the README does) and hold no secret and no tenant. `off` answers them 404.
   */
  @IsIn(['on', 'off'], { message: 'must be on (serve /docs and /docs-json) or off' })
  API_DOCS: 'on' | 'off' = 'on';

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
  problems.push(...crossKeyProblems(settings, problems));
  if (problems.length > 0) throw new ConfigurationError('The environment (or .env)', problems);
  const publicUrl = (settings.PUBLIC_URL ?? `http://localhost:${settings.PORT}`).replace(/\/+$/, '');
  return Object.assign(settings, { publicUrl });
}

/** Node refuses a request timeout shorter than the headers' one; retries cannot wait less at most than at first. */
function crossKeyProblems(settings: GlobalSettings, found: readonly SettingProblem[]): SettingProblem[] {
  if (found.length > 0) return [];
  const problems: SettingProblem[] = [];
  if (settings.REQUEST_TIMEOUT_S < settings.HEADERS_TIMEOUT_S) {
    problems.push({
      key: describeValue(GlobalSettings, 'REQUEST_TIMEOUT_S', settings.REQUEST_TIMEOUT_S),
      problem: `must be at least HEADERS_TIMEOUT_S (${settings.HEADERS_TIMEOUT_S}): the whole request includes its headers`,
    });
  }
  if (settings.WORKFLOW_RETRY_MAX_S < settings.WORKFLOW_RETRY_FIRST_S) {
    problems.push({
      key: describeValue(GlobalSettings, 'WORKFLOW_RETRY_MAX_S', settings.WORKFLOW_RETRY_MAX_S),
      problem: `must be at least WORKFLOW_RETRY_FIRST_S (${settings.WORKFLOW_RETRY_FIRST_S}): the longest wait between tries cannot be shorter than the first`,
    });
  }
  return problems;
}

/**
 * Keys that look like global settings but are not one: every unknown key of `.env` (a misspelt
 * `METRIC_TOKEN` would leave `/metrics` open while the admin believes it protected), and variables of the
 * environment within two letters of a known key. Warned about at start; they do not stop it.
 */
export function unknownGlobalKeys(
  envFile: Readonly<Record<string, string>>,
  environment: Readonly<Record<string, string | undefined>>,
): string[] {
  const known = declaredKeys(GlobalSettings);
  const warnings = Object.keys(envFile)
    .filter((key) => !known.includes(key))
    .map((key) => `.env: ${key}: ${unknownKeyProblem(key, known, '.env.example; tenant keys go in tenants/<tenant-id>.env')}`);
  for (const key of Object.keys(environment)) {
    if (key in envFile || known.includes(key) || key.length < 6 || key !== key.toUpperCase()) continue;
    const nearest = nearestKey(key, known);
    if (nearest !== undefined && distanceToNearestKey(key, nearest) <= 2) {
      warnings.push(`environment: ${key}: not a setting of the gateway: did you mean ${nearest}?`);
    }
  }
  return warnings;
}

export const globalSettings = registerAs('global', () => loadGlobalSettings(process.env));
