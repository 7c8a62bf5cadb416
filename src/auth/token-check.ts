import { Injectable } from '@nestjs/common';
import { TenantRegistry } from '../tenants/tenant-registry';
import type { RefusedRequest } from '../http/refusal';
import type { TenantRequest } from './current-tenant.decorator';
import { FailedTokens, type TokenRefusal } from './failed-tokens';

/** What the check found, kept on the request so the guard does not check again. */
interface CheckedRequest extends TenantRequest, RefusedRequest {
  tokenChecked?: boolean;
  /** Seconds left of the block of its throttled address: its token was not looked at. */
  blockedForS?: number;
}

/** Tells which tenant a request's token belongs to (once per request), and how to refuse one that carries none. */
@Injectable()
export class TokenCheck {
  constructor(
    private readonly tenants: TenantRegistry,
    private readonly failures: FailedTokens,
  ) {}

  /** Puts the tenant (and which of its tokens) on the request when it carries one of a tenant's tokens. */
  identify(request: CheckedRequest): boolean {
    if (request.tenant) return true;
    if (request.tokenChecked === true) return false;
    request.tokenChecked = true;
    const address = addressOf(request);
    request.blockedForS = this.failures.blockedFor(address);
    if (request.blockedForS !== undefined) return false;
    const match = this.tenants.authenticate(request.headers);
    if (!match) return false;
    request.tenant = match.tenant;
    request.tokenPosition = match.tokenPosition;
    this.failures.servedValid(address);
    return true;
  }

  /** How to refuse a request `identify` found no tenant for; counts the failed attempt against its address. */
  async refusal(request: CheckedRequest): Promise<TokenRefusal> {
    const refusal = request.blockedForS !== undefined ? this.failures.blockedRefusal(request.blockedForS) : await this.failures.refusal(addressOf(request));
    if (refusal.status === 429 && !refusal.logged) request.quiet = true;
    return refusal;
  }
}

/** The client's address: the connection's peer, or what `X-Forwarded-For` says behind `TRUST_PROXY`. */
function addressOf(request: TenantRequest): string | undefined {
  return request.ip ?? request.socket.remoteAddress;
}
