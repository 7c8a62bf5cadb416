import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Post, Query, Req, ValidationPipe } from '@nestjs/common';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import type { LoggedRequest } from '../logging/request-log';
import { requestIdOf } from '../logging/request-id.decorator';
import type { Tenant } from '../tenants/tenant';
import type { Card } from './card.presenter';
import { isPlainObject } from '../http/json-body';
import { LOOKUP_BODY_SHAPE, LookupBody } from './lookup-request.dto';
import { LookupService } from './lookup.service';
import { VALIDATION_OPTIONS } from '../validation/validation-options';

const PHONE_PARAMETER = 'phonenumber';

/**
 * `GET /lookup?PhoneNumber=…` (the CONNECTOR), `POST /lookup` (query or body) and
 * `GET|POST /lookup/Lookup` (the newer article's body form): all answer the same.
 */
@Controller('lookup')
export class LookupController {
  /** The body is only the fallback: validated (as the global pipe would) only when it is read. */
  private readonly bodyValidation = new ValidationPipe(VALIDATION_OPTIONS);

  constructor(private readonly lookups: LookupService) {}

  @Get(['', 'Lookup'])
  async lookupByGet(
    @CurrentTenant() tenant: Tenant,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Req() request: LoggedRequest,
  ): Promise<Card[]> {
    return this.answer(tenant, phoneNumberFromQuery(query) ?? (await this.phoneNumberFromBody(body)), request);
  }

  @Post(['', 'Lookup'])
  @HttpCode(HttpStatus.OK)
  async lookupByPost(
    @CurrentTenant() tenant: Tenant,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Req() request: LoggedRequest,
  ): Promise<Card[]> {
    return this.answer(tenant, phoneNumberFromQuery(query) ?? (await this.phoneNumberFromBody(body)), request);
  }

  /** The cards for the CONNECTOR; the summary goes into the request's log line. */
  private async answer(tenant: Tenant, number: string, request: LoggedRequest): Promise<Card[]> {
    const { cards, summary } = await this.lookups.lookup(tenant, number, { reqId: requestIdOf(request), receivedAt: request.receivedAt });
    request.lookupSummary = summary;
    return cards;
  }

  private async phoneNumberFromBody(body: unknown): Promise<string> {
    if (body !== undefined && !(isPlainObject(body) && (body.inputs === undefined || isPlainObject(body.inputs)))) {
      throw new BadRequestException(LOOKUP_BODY_SHAPE);
    }
    const validated = (await this.bodyValidation.transform(body, { type: 'body', metatype: LookupBody })) as LookupBody | undefined;
    const fromBody = validated?.inputs?.phoneNumber;
    if (fromBody !== undefined && fromBody !== null) return fromBody;
    throw new BadRequestException(
      'PhoneNumber is required: send ?PhoneNumber=41789072228 or the body {"inputs":{"phoneNumber":"41789072228"}}',
    );
  }
}

/** The query parameter (any case) wins over the body's `inputs.phoneNumber`. */
function phoneNumberFromQuery(query: Record<string, unknown>): string | undefined {
  const key = Object.keys(query).find((k) => k.toLowerCase() === PHONE_PARAMETER);
  if (key === undefined) return undefined;
  const value = query[key];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  throw new BadRequestException('PhoneNumber must be a single value, e.g. ?PhoneNumber=41789072228');
}
