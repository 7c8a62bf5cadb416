import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TenantRequest } from '../auth/current-tenant.decorator';
import type { RefusedRequest } from '../http/refusal';
import type { SourceOutcomeLabel } from '../observability/gateway-metrics';

/** What the request log line says about a lookup: no full number, per source its outcome and time. */
export interface LookupSummary {
  readonly number?: string;
  readonly results: number;
  readonly sources: Record<string, { readonly outcome: SourceOutcomeLabel; readonly ms?: number }>;
}

/** A request as the log line sees it: the tenant the guard found, why the edge refused it, the lookup's summary. */
export interface LoggedRequest extends TenantRequest, RefusedRequest {
  /** When the request line's clock started (`performance.now()`): the lookup's deadline counts from it. */
  receivedAt?: number;
  lookupSummary?: LookupSummary;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** A path is the caller's text: enough of it to tell routes apart, never a 15 KB line per request. */
export const LOGGED_PATH_LENGTH = 200;
/** Probes and static badges would drown the lines that matter. */
export const UNLOGGED_PATHS = ['/health', '/health/ready', '/metrics', '/logos/'];

/** The caller's `X-Request-Id` when it is a sane id, else a new one; echoed in the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** One line per request: no query string (it holds the number), no headers (they hold tokens). */
export function requestLine(req: IncomingMessage, res: ServerResponse, durationMs: number): Record<string, unknown> {
  const logged = req as unknown as LoggedRequest;
  const path = (logged.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
  return {
    method: req.method,
    route: path.length > LOGGED_PATH_LENGTH ? `${path.slice(0, LOGGED_PATH_LENGTH)}… (${path.length} characters)` : path,
    status: res.statusCode,
    durationMs,
    ...(logged.tenant ? { tenant: logged.tenant.id, token: logged.tokenPosition } : {}),
    ...(logged.refusal ? { refusal: logged.refusal } : {}),
    ...(logged.lookupSummary ? { lookup: logged.lookupSummary } : {}),
  };
}

export function isUnlogged(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0] ?? '';
  return UNLOGGED_PATHS.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
}
