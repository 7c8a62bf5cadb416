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

let stdout: (DestinationStream & { flushSync?: () => void }) | undefined;

/** Log lines go to stdout, written in the background (pino's default). */
export function stdoutDestination(): DestinationStream {
  stdout ??= pino.destination(1);
  return stdout;
}

/** Writes what is still queued for stdout, so a message written to stderr after it comes last on screen. */
export function flushStdoutLogs(): void {
  try {
    stdout?.flushSync?.();
  } catch {
    // nothing queued, or stdout is gone: nothing to put in order
  }
}

export function createRootLogger(level: string, destination: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
