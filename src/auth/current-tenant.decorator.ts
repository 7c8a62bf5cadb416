import { createParamDecorator, InternalServerErrorException, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Tenant } from '../tenants/tenant';

export interface TenantRequest extends Request {
  tenant?: Tenant;
  /** Which token of the tenant's `TOKEN` list the request carried (1 is the first). */
  tokenPosition?: number;
}

/** The tenant the token guard authenticated. */
export const CurrentTenant = createParamDecorator((_: unknown, context: ExecutionContext): Tenant => {
  const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
  if (!tenant) throw new InternalServerErrorException('Route reads a tenant but is not protected by the token guard');
  return tenant;
});
