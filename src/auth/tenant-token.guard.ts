import { HttpException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { TenantRequest } from './current-tenant.decorator';
import { IS_PUBLIC } from './public.decorator';
import { refusalHeaders } from './failed-tokens';
import { TokenCheck } from './token-check';

/** Every route needs a tenant's token in that tenant's header, unless marked `@Public()`. */
@Injectable()
export class TenantTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenCheck,
  ) {}

  /** Synchronous when the token is good: a lookup does not wait a turn for its guard. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic === true) return true;
    const request = context.switchToHttp().getRequest<TenantRequest>();
    return this.tokens.identify(request) || this.refuse(request, context.switchToHttp().getResponse<Response>());
  }

  private async refuse(request: TenantRequest, response: Response): Promise<never> {
    const refusal = await this.tokens.refusal(request);
    if (refusal.status === 401) throw new UnauthorizedException(refusal.message);
    for (const [name, value] of Object.entries(refusalHeaders(refusal))) response.setHeader(name, value);
    throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message: refusal.message }, 429);
  }
}
