/** Why a source could not answer; what the logs and (later) metrics show an admin. */
export type SourceErrorCode = 'AUTH' | 'RATE_LIMITED' | 'TIMEOUT' | 'UNAVAILABLE' | 'CONFIG' | 'BAD_REQUEST';

export class SourceError extends Error {
  /** The CRM's own error code (`REQUEST_LIMIT_EXCEEDED`, `invalid_client`), for the logs. */
  readonly vendorCode: string | undefined;
  /** The record fields the CRM named in its refusal (`OwnerId`, `hubspot_owner_id`); empty when it named none. */
  readonly fields: readonly string[];

  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: { cause?: unknown; vendorCode?: string; fields?: readonly string[] },
  ) {
    super(message, options);
    this.vendorCode = options?.vendorCode;
    this.fields = options?.fields ?? [];
    this.name = 'SourceError';
  }
}
