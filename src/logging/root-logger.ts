import type { InjectionToken } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Where log lines go: stdout, one JSON object a line. */
export const LOG_DESTINATION: InjectionToken<DestinationStream> = Symbol('LOG_DESTINATION');
/** The one pino logger every line goes through (Nest's own, the services', the request lines). */
export const ROOT_LOGGER: InjectionToken<Logger> = Symbol('ROOT_LOGGER');

/** Belt and braces: the request lines log no headers, but nothing secret may slip through. */
export const REDACTED_PATHS = [
  'req.headers',
  'res.headers',
  'headers',
  '*.authorization',
  '*["x-execution-token"]',
  '*["oauth-token"]',
  '*.password',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
];

export function createRootLogger(level: string, destination: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
