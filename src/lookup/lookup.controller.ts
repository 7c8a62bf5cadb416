import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Post, Query, Req } from '@nestjs/common';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import type { LoggedRequest } from '../logging/request-log';
import type { Tenant } from '../config/tenant';
import type { Card } from './card.presenter';
import { LookupBody } from './lookup-request.dto';
import { LookupService } from './lookup.service';

const PHONE_PARAMETER = 'phonenumber';

/**
 * `GET /lookup?PhoneNumber=…` (the CONNECTOR), `POST /lookup` (query or body) and
 * `GET|POST /lookup/Lookup` (the newer article's body form): all answer the same.
 */
@Controller('lookup')
export class LookupController {
  constructor(private readonly lookups: LookupService) {}

  @Get(['', 'Lookup'])
  async lookupByGet(
    @CurrentTenant() tenant: Tenant,
    @Query() query: Record<string, unknown>,
    @Body() body: LookupBody,
    @Req() request: LoggedRequest,
  ): Promise<Card[]> {
    return this.answer(tenant, phoneNumberFrom(query, body), request);
  }

  @Post(['', 'Lookup'])
  @HttpCode(HttpStatus.OK)
  async lookupByPost(
    @CurrentTenant() tenant: Tenant,
    @Query() query: Record<string, unknown>,
    @Body() body: LookupBody,
    @Req() request: LoggedRequest,
  ): Promise<Card[]> {
    return this.answer(tenant, phoneNumberFrom(query, body), request);
  }

  /** The cards for the CONNECTOR; the summary goes into the request's log line. */
  private async answer(tenant: Tenant, number: string, request: LoggedRequest): Promise<Card[]> {
    const { cards, summary } = await this.lookups.lookup(tenant, number);
    request.lookupSummary = summary;
    return cards;
  }
}

/** The query parameter (any case) wins; the body's `inputs.phoneNumber` is the fallback. */
function phoneNumberFrom(query: Record<string, unknown>, body: LookupBody | undefined): string {
  const key = Object.keys(query).find((k) => k.toLowerCase() === PHONE_PARAMETER);
  if (key !== undefined) {
    const value = query[key];
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') return first;
    throw new BadRequestException('PhoneNumber must be a single value, e.g. ?PhoneNumber=41789072228');
  }
  const fromBody = body?.inputs?.phoneNumber;
  if (fromBody !== undefined && fromBody !== null) return fromBody;
  throw new BadRequestException(
    'PhoneNumber is required: send ?PhoneNumber=41789072228 or the body {"inputs":{"phoneNumber":"41789072228"}}',
  );
}
