import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { isUnlogged, requestId, requestLine, type LoggedRequest } from './request-log';
import { ROOT_LOGGER } from './root-logger';

/**
 * One line per request, written when the response is done (or the caller hung up), from the one root
 * logger: no logger object is built per request, which kept the lookup's hot path cheap. The id is
 * put on the request (`req.id`) for the handlers' own lines, not in an AsyncLocalStorage: on Node 20
 * that turns on a promise hook for every promise in the process, about 15 % of a cached lookup.
 */
@Injectable()
export class RequestLogMiddleware implements NestMiddleware {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const started = performance.now();
    const reqId = requestId(req, res);
    const logged = req as LoggedRequest;
    logged.id = reqId;
    logged.receivedAt = started;
    if (!isUnlogged(req)) {
      // `close` follows `finish` for every response, and is the only event when the caller hangs up.
      res.once('close', () => this.logLine(req, res, reqId, performance.now() - started));
    }
    next();
  }

  private logLine(req: IncomingMessage, res: ServerResponse, reqId: string, elapsedMs: number): void {
    if ((req as LoggedRequest).quiet === true) return;
    const failed = res.statusCode >= 500;
    const level = failed ? 'error' : res.writableFinished ? 'info' : 'warn';
    if (!this.logger.isLevelEnabled(level)) return;
    const line = { reqId, ...requestLine(req, res, Math.round(elapsedMs * 10) / 10) };
    const message = failed ? 'request failed' : res.writableFinished ? 'request completed' : 'request aborted by the caller';
    this.logger[level](line, message);
  }
}
