import { Injectable } from '@nestjs/common';
import { TenantRegistry } from '../config/tenant-registry';
import type { RefusedRequest } from '../http/refusal';
import type { TenantRequest } from './current-tenant.decorator';
import { FailedTokens, type TokenRefusal } from './failed-tokens';

/** Tells which tenant a request's token belongs to, and how to refuse one that carries none. */
@Injectable()
export class TokenCheck {
  constructor(
    private readonly tenants: TenantRegistry,
    private readonly failures: FailedTokens,
  ) {}

  /** Puts the tenant (and which of its tokens) on the request when it carries one of a tenant's tokens. */
  identify(request: TenantRequest): boolean {
    if (request.tenant) return true;
    const match = this.tenants.authenticate(request.headers);
    if (!match) return false;
    request.tenant = match.tenant;
    request.tokenPosition = match.tokenPosition;
    return true;
  }

  /** Counts the failed attempt against the client's address (`TRUST_PROXY` says which one that is). */
  async refusal(request: TenantRequest & RefusedRequest): Promise<TokenRefusal> {
    const refusal = await this.failures.refusal(request.ip ?? request.socket.remoteAddress);
    if (refusal.status === 429 && !refusal.logged) request.quiet = true;
    return refusal;
  }
}
