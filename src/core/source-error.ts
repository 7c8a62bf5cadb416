/** Why a source could not answer; what the logs and (later) metrics show an admin. */
export type SourceErrorCode = 'AUTH' | 'RATE_LIMITED' | 'TIMEOUT' | 'UNAVAILABLE' | 'CONFIG' | 'BAD_REQUEST';

export interface SourceErrorOptions {
  readonly cause?: unknown;
  readonly vendorCode?: string;
  readonly fields?: readonly string[];
  readonly retryAfterMs?: number;
  readonly mayHaveWritten?: boolean;
}

export class SourceError extends Error {
  /** The CRM's own error code (`REQUEST_LIMIT_EXCEEDED`, `invalid_client`), for the logs. */
  readonly vendorCode: string | undefined;
  /** The record fields the CRM named in its refusal (`OwnerId`, `hubspot_owner_id`); empty when it named none. */
  readonly fields: readonly string[];
  /** How long the CRM asked us to wait before trying again (its `Retry-After` header), when it said so readably. */
  readonly retryAfterMs: number | undefined;
  /**
   * The request may have reached the CRM and been carried out, but no answer says so: a time-out or a
   * reset after it was sent, or a 504 from a gateway in front of the CRM. Sending a write again may
   * write it twice. False when it cannot have been carried out: never sent (refused or unreachable
   * connection, no time left), or answered with any other status.
   */
  readonly mayHaveWritten: boolean;

  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: SourceErrorOptions,
  ) {
    super(message, options);
    this.vendorCode = options?.vendorCode;
    this.fields = options?.fields ?? [];
    this.retryAfterMs = options?.retryAfterMs;
    this.mayHaveWritten = options?.mayHaveWritten ?? false;
    this.name = 'SourceError';
  }
}

/**
 * Network error codes that say the request never left: the connection was refused or could not be made
 * (no such host, no route, a certificate refused in the TLS handshake), so the CRM cannot have carried it out.
 */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Whether a request that failed with this network error code (and no answer) may still have reached the CRM. */
export function mayHaveReachedCrm(networkCode: string | undefined): boolean {
  return networkCode === undefined || !NEVER_SENT_CODES.has(networkCode);
}
