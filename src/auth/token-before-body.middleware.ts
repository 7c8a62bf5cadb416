import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { carriesBody } from '../http/json-body';
import { refuse } from '../http/refusal';
import type { TenantRequest } from './current-tenant.decorator';
import { TokenCheck } from './token-check';

/**
 * A request with a body is answered 401 (or 429) before its body is read unless it carries a tenant's
 * token: no public route takes a body, and a body sent one byte every ten seconds must not hold a
 * connection for anyone without a token. The token guard still decides every route.
 */
@Injectable()
export class TokenBeforeBody implements NestMiddleware {
  constructor(private readonly tokens: TokenCheck) {}

  use(req: TenantRequest, res: Response, next: NextFunction): void {
    if (!carriesBody(req) || this.tokens.identify(req)) return next();
    this.tokens.refusal(req).then(
      (refusal) => refuse(req, res, refusal.status, refusal.message, refusal.status === 429 ? { 'Retry-After': String(refusal.retryAfterS) } : {}),
      next,
    );
  }
}
