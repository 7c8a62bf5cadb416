import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TenantRegistry } from '../config/tenant-registry';
import type { TenantRequest } from './current-tenant.decorator';
import { IS_PUBLIC } from './public.decorator';

/** Every route needs a tenant's token in that tenant's header, unless marked `@Public()`. */
@Injectable()
export class TenantTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tenants: TenantRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic === true) return true;

    const request = context.switchToHttp().getRequest<TenantRequest>();
    const tenant = this.tenants.authenticate(request.headers);
    if (!tenant) throw new UnauthorizedException('Missing or invalid execution token.');
    request.tenant = tenant;
    return true;
  }
}
