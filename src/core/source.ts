import type { InjectionToken } from '@nestjs/common';
import type { CountryCode } from 'libphonenumber-js/max';
import type { SettingProblem } from '../config/settings-validation';
import type { IncomingNumber, MatchStrength } from '../phone';
import type { RecordIdPattern, RecordIdPatterns } from './record-id';

/** People before companies when two records match equally well. */
export type RecordKind = 'person' | 'company';

/** One record a source believes may be the caller; the core verifies its phones before using it. */
export interface Candidate {
  readonly sourceId: string;
  /** The source's object type (`Contact`, `Lead`, `Account`, `entry`): part of the routable `Id`. */
  readonly objectType: string;
  readonly recordId: string;
  readonly kind: RecordKind;
  readonly name: string;
  readonly company?: string;
  readonly contactUri?: string;
  readonly companyUri?: string;
  /** Every phone value stored on the record, raw, as the CRM returned it. */
  readonly phones: readonly string[];
  readonly customData: Readonly<Record<string, string>>;
  readonly modifiedAt?: Date;
}

/** A candidate whose own stored phones the core checked against the caller's number, and how well they match. */
export interface VerifiedCandidate {
  readonly candidate: Candidate;
  readonly strength: MatchStrength;
}

export interface SourceSearch<S> {
  readonly tenantId: string;
  readonly number: IncomingNumber;
  /** The tenant's region, for numbers stored without a country code. */
  readonly region: CountryCode;
  readonly settings: S;
  /** Aborted when the lookup's deadline passes: stop work and release sockets. */
  readonly signal: AbortSignal;
  /** When the lookup's deadline passes (`Date.now()` time), for clients that take a timeout, not a signal. */
  readonly deadlineAt: number;
  /**
   * Called by a source whose answer lacks part of what it asked (one of its searches failed), with what
   * is missing and why: the answer is used, but not kept in the cache as if it were complete.
   */
  readonly partial?: (why: string) => void;
  /**
   * Set only when an admin asks to see into a lookup (`npm run lookup`, the console): the source tells
   * what it sends (each query as text, never a credential) and what it noted. Unset on the CONNECTOR's
   * lookups, which then pay nothing for it.
   */
  readonly trace?: (event: SourceTraceEvent) => void;
}

/** What a source tells a traced search. */
export type SourceTraceEvent =
  /** A request sent: method, path and the query or body (SOQL/SOSL, a search body, a filter), without credentials. */
  | { readonly kind: 'query'; readonly text: string }
  /** Something the answer depends on: a part not searched, a fallback taken. */
  | { readonly kind: 'note'; readonly text: string };

export interface TenantAttachment<S> {
  readonly tenantId: string;
  /** The tenant's env file, to name in errors and to resolve relative paths. */
  readonly tenantFile: string;
  /** The tenant's region, for numbers stored without a country code. */
  readonly region: CountryCode;
  readonly settings: S;
}

/** Searches of one tenant's source per calendar day and month (`<PREFIX>_QUOTA_PER_DAY`, `_PER_MONTH`); absent: no cap. */
export interface QuotaLimits {
  readonly perDay?: number;
  readonly perMonth?: number;
}

/**
 * `primary` sources are asked at once on every lookup; a `fallback` source (a public directory) only when
 * none of the tenant's primary sources matched, within what is left of the deadline.
 */
export type SourceTier = 'primary' | 'fallback';

export interface SourceBadge {
  /** Two or three letters. */
  readonly letters: string;
  /** Background colour, `#rrggbb`. */
  readonly color: string;
}

/** Where a source's class-validator schema comes from: its properties are its tenant keys. */
export type SettingsSchema<S> = new () => S;

/**
 * What every source implements. A source owns its tenant keys (declared by its settings schema),
 * decides from them whether it is enabled for a tenant, and answers searches with raw candidates.
 */
export interface LookupSource<S extends object = object> {
  /** Stable lower-case id: used in `CRM_ORDER`, in routable ids and in `/logos/<id>.svg`. */
  readonly id: string;
  /** Prefix of its tenant keys; `<PREFIX>_NAME` and `<PREFIX>_LOGO_URL` are handled by the core. */
  readonly keyPrefix: string;
  readonly defaultDisplayName: string;
  /**
   * False for sources that answer from memory anyway (the directory), or whose answers may not be kept
   * (search.ch's terms): the lookup cache skips them, so there is no stale stand-in either.
   */
  readonly cacheable?: boolean;
  /** `primary` when absent. */
  readonly tier?: SourceTier;
  /** The default of the tenant's `<PREFIX>_QUOTA_PER_DAY` / `_PER_MONTH` (a service with a monthly quota). */
  readonly quota?: QuotaLimits;
  /**
   * Whether this source can know the number at all (search.ch: Swiss numbers only). One that cannot is not
   * asked, and spends neither budget nor quota. Every number when absent.
   */
  covers?(number: IncomingNumber): boolean;
  /**
   * The object types whose ids this source hands out (in cards and workflow answers), each with the
   * strict pattern of its record ids: an id of another type or form is refused before any request.
   */
  readonly recordIds: RecordIdPatterns;
  /**
   * The form of this CRM's user ids, for a workflow's `userCrmId`: one of another form is known bad without
   * asking, and the record is written without an owner (with a warning naming it).
   */
  readonly userIds?: RecordIdPattern;
  /** The gateway's own badge for this source, served at `/logos/<id>.svg`. */
  readonly badge: SourceBadge;
  readonly settingsSchema: SettingsSchema<S>;
  isEnabled(settings: S): boolean;
  /** Rules across keys (e.g. a partial set of credentials), checked after the schema. */
  settingProblems?(settings: S): SettingProblem[];
  /**
   * Sets the source up for one tenant's settings (clients, indexes), before the tenant serves with them:
   * at start, and when a reloaded tenant file changes them. Throw `ConfigurationError` to refuse them.
   */
  attachTenant?(attachment: TenantAttachment<S>): Promise<void>;
  /**
   * Signs in and fetches what the first lookup needs, run in the background after `attachTenant`, so the
   * first call does not pay for it. A failure is logged and shown in readiness; lookups try again.
   */
  warmUp?(settings: S): Promise<void>;
  /** These settings are no longer used (the file changed or was removed): release what is not collected by itself. */
  detachTenant?(settings: S): void;
  search(query: SourceSearch<S>): Promise<readonly Candidate[]>;
}

export const LOOKUP_SOURCES: InjectionToken<readonly LookupSource[]> = Symbol('LOOKUP_SOURCES');
