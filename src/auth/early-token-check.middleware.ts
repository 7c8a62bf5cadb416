import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { carriesBody } from '../http/json-body';
import { refuse } from '../http/refusal';
import type { TenantRequest } from './current-tenant.decorator';
import { refusalHeaders } from './failed-tokens';
import { TokenCheck } from './token-check';

/**
 * The token check, first of all, before any body is read (the guard then reads its result):
 * - a request without a tenant's token is answered with `Connection: close`, whatever its route: a
 *   probe or a stranger must not hold one of `MAX_CONNECTIONS` for the keep-alive time;
 * - such a request with a body is refused (401, or 429) before its body is read: no public route
 *   takes a body (but the admin console's forms, which it reads after checking its own session), and a
 *   body sent one byte every ten seconds must not hold a connection.
 */
@Injectable()
export class EarlyTokenCheck implements NestMiddleware {
  constructor(private readonly tokens: TokenCheck) {}

  use(req: TenantRequest, res: Response, next: NextFunction): void {
    if (this.tokens.identify(req)) return next();
    res.setHeader('Connection', 'close');
    if (!carriesBody(req) || isConsoleForm(req)) return next();
    this.tokens.refusal(req).then(
      (refusal) => refuse(req, res, refusal.status, refusal.message, refusalHeaders(refusal)),
      next,
    );
  }
}

/**
 * A form of the admin's console (`POST /admin/…`, form-encoded): it is signed in with its own session,
 * not a tenant's token, and reads its forms itself (4 KB at most), after checking that session.
 */
function isConsoleForm(req: TenantRequest): boolean {
  return req.method === 'POST' && req.path.startsWith('/admin/') && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}
