import type { LoggerService } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { ResolvedGlobalSettings } from '../config/global-settings';

/**
 * Node checks the headers and request time-outs of open connections this often (30 s by default, so a
 * 10 s limit could take 40 s). It reads the value when the server starts listening.
 */
export const CONNECTIONS_CHECK_MS = 1000;
const DROP_REPORT_EVERY_MS = 60_000;
/**
 * File descriptors the process needs beside its client connections: sockets to the CRMs (HubSpot's and
 * Sugar's pools hold at most 128 each per host; jsforce uses Node's shared agent, unbounded, about as
 * many at the same load) and the process's own files.
 */
const OTHER_DESCRIPTORS = 3 * 128 + 64;

/**
 * How long a client may take, and how many may be connected at once:
 * - `HEADERS_TIMEOUT_S`: for a request's headers, and for a new connection that sends nothing (408, closed);
 * - `REQUEST_TIMEOUT_S`: for the whole request with its body (the answer's time does not count);
 * - `KEEP_ALIVE_S`: an idle kept-alive connection between requests (neither time-out runs then);
 * - `MAX_CONNECTIONS`: more connections are closed as they arrive, so file descriptors stay for the CRMs.
 */
export function applyServerLimits(server: Server, settings: ResolvedGlobalSettings, logger: LoggerService): void {
  server.keepAliveTimeout = settings.KEEP_ALIVE_S * 1000;
  server.headersTimeout = settings.HEADERS_TIMEOUT_S * 1000;
  server.requestTimeout = settings.REQUEST_TIMEOUT_S * 1000;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = CONNECTIONS_CHECK_MS;
  server.maxConnections = settings.MAX_CONNECTIONS;

  let reportedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    if (Date.now() - reportedAt < DROP_REPORT_EVERY_MS) return;
    reportedAt = Date.now();
    logger.warn(
      `${settings.MAX_CONNECTIONS} client connections are open (MAX_CONNECTIONS): new ones are closed as they arrive. ` +
        'Limit connections per client address in the proxy in front (see docs/security.md). Reported at most once a minute.',
      'ServerLimits',
    );
  });

  const descriptors = openFilesLimit(readProcLimits());
  if (descriptors !== undefined && settings.MAX_CONNECTIONS + OTHER_DESCRIPTORS > descriptors) {
    logger.warn(
      `MAX_CONNECTIONS=${settings.MAX_CONNECTIONS} with the CRM sockets needs about ${settings.MAX_CONNECTIONS + OTHER_DESCRIPTORS} file descriptors, ` +
        `but this process may open ${descriptors} (ulimit -n): lower MAX_CONNECTIONS or raise the limit (LimitNOFILE= for systemd).`,
      'ServerLimits',
    );
  }
}

/** The soft limit of open files, on Linux; undefined elsewhere or when unlimited. */
export function openFilesLimit(limits: string): number | undefined {
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  return soft === undefined ? undefined : Number(soft);
}

function readProcLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}
