/** Why a source could not answer; what the logs and (later) metrics show an admin. */
export type SourceErrorCode = 'AUTH' | 'RATE_LIMITED' | 'TIMEOUT' | 'UNAVAILABLE' | 'CONFIG' | 'BAD_REQUEST';

export class SourceError extends Error {
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceError';
  }
}
