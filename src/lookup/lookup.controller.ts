import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Post, Query, Req, ValidationPipe } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { INVALID_TOKEN_MESSAGE } from '../auth/failed-tokens';
import { CONTRACT_MAX_RESULTS } from '../config/global-settings';
import { ApiErrorAnswer, ApiTenantTokenRefusals, errorBody, SECURITY } from '../http/openapi-answers';
import type { LoggedRequest } from '../logging/request-log';
import { requestIdOf } from '../logging/request-id.decorator';
import type { Tenant } from '../tenants/tenant';
import type { Card } from './card.presenter';
import { isPlainObject } from '../http/json-body';
import { CONTRACT_LOOKUP_ANSWER, CONTRACT_LOOKUP_BODY, CONTRACT_PHONE_NUMBER, LOOKUP_BODY_SHAPE, LookupBody, LookupCard } from './lookup-request.dto';
import { LookupService } from './lookup.service';
import { VALIDATION_OPTIONS } from '../validation/validation-options';

const PHONE_PARAMETER = 'phonenumber';
const PHONE_NUMBER_REQUIRED = 'PhoneNumber is required: send ?PhoneNumber=41789072228 or the body {"inputs":{"phoneNumber":"41789072228"}}';

const LOOKUP_DESCRIPTION =
  `The cards of the contacts whose stored numbers match the caller's, best first, at most ${CONTRACT_MAX_RESULTS} (\`LOOKUP_MAX_RESULTS\`), ` +
  'answered within `LOOKUP_TIMEOUT_MS` of the request\'s arrival (a source not done by then is left out). Nothing found is `200 []`, never 404: ' +
  'to the CONNECTOR a 404 means the service cannot be reached. A value that is no phone number (`anonymous`, letters, empty) is not found. ' +
  '`/lookup` and `/lookup/Lookup` answer the same; a tenant with `RESPONSE_CASE=camel` gets the card\'s keys in camelCase.';

/** `?PhoneNumber=…`, in the forms the CONNECTOR sends (CONTRACT.md part 1). */
function ApiPhoneNumberQuery(): MethodDecorator & ClassDecorator {
  return ApiQuery({
    name: 'PhoneNumber',
    required: false,
    schema: { type: 'string' },
    description:
      'The number asked about, usually E.164 digits without `+`; `+41…`, `0041…`, national `078…` and internal extensions are read too. ' +
      "The name is read in any case (`phonenumber`). When it is absent, a body's `inputs.phoneNumber` is read.",
    examples: {
      contract: { summary: "CONTRACT.md's example", value: CONTRACT_PHONE_NUMBER },
      swissMobile: { summary: 'E.164 digits, as the CONNECTOR sends them', value: '41789072228' },
      national: { summary: "A national number (read in the tenant's DEFAULT_REGION)", value: '0789072228' },
      anonymous: { summary: 'A withheld number: not found, 200 []', value: 'anonymous' },
    },
  });
}

function ApiLookupAnswers(): MethodDecorator & ClassDecorator {
  return ApiOkResponse({
    description: 'The cards, best first (an empty array when nothing matched).',
    type: LookupCard,
    isArray: true,
    examples: {
      contract: { summary: "CONTRACT.md's example answer", value: CONTRACT_LOOKUP_ANSWER },
      nothingFound: { summary: 'Nothing found (never 404)', value: [] },
    },
  });
}

const TOO_LARGE = { summary: 'A body over the limit (default 2048 bytes)', value: errorBody(413, 'The body is larger than the 2048 bytes this route accepts (LOOKUP_MAX_BODY_BYTES).') };
const NOT_UTF8 = { summary: 'Another charset', value: errorBody(415, "The body's encoding is not supported: send UTF-8 JSON.") };
const BODY_REFUSALS = {
  notJson: { summary: 'A body that is not JSON', value: errorBody(400, "The body is not valid JSON: Expected property name or '}' in JSON at position 1") },
  wrongShape: { summary: 'A body that is not {"inputs":{…}}', value: errorBody(400, LOOKUP_BODY_SHAPE) },
  wrongField: { summary: 'inputs.phoneNumber of another type', value: errorBody(400, ['inputs.phoneNumber must be the phone number as a string, e.g. "41789072228"']) },
};

/**
 * `GET /lookup?PhoneNumber=…` (the CONNECTOR), `POST /lookup` (query or body) and
 * `GET|POST /lookup/Lookup` (the newer article's body form): all answer the same.
 */
@ApiTags('lookup')
@ApiSecurity(SECURITY.tenantToken)
@ApiTenantTokenRefusals(INVALID_TOKEN_MESSAGE)
@Controller('lookup')
export class LookupController {
  /** The body is only the fallback: validated (as the global pipe would) only when it is read. */
  private readonly bodyValidation = new ValidationPipe(VALIDATION_OPTIONS);

  constructor(private readonly lookups: LookupService) {}

  @Get(['', 'Lookup'])
  @ApiOperation({
    summary: "Who is calling? The CONNECTOR's lookup",
    description: `${LOOKUP_DESCRIPTION} On \`GET /lookup/Lookup\` (peoplefone's newer article) the number may also come in a JSON body, as for POST.`,
  })
  @ApiPhoneNumberQuery()
  @ApiLookupAnswers()
  @ApiErrorAnswer(400, 'No PhoneNumber in the query (nor, on /lookup/Lookup, in its body), or (/lookup/Lookup) a body that cannot be read; the message names the field.', {
    noPhoneNumber: { summary: 'No PhoneNumber', value: errorBody(400, PHONE_NUMBER_REQUIRED) },
    ...BODY_REFUSALS,
  })
  @ApiErrorAnswer(413, '/lookup/Lookup only: a body over `LOOKUP_MAX_BODY_BYTES`, refused before it is read to its end.', { tooLarge: TOO_LARGE })
  @ApiErrorAnswer(415, '/lookup/Lookup only: a body in another encoding than UTF-8 JSON.', { encoding: NOT_UTF8 })
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
  @ApiOperation({
    summary: 'Who is calling? The lookup with a body',
    description: `${LOOKUP_DESCRIPTION} The query parameter wins over the body; the body is read only when it is JSON (\`application/json\`), at most \`LOOKUP_MAX_BODY_BYTES\`.`,
  })
  @ApiPhoneNumberQuery()
  @ApiBody({
    type: LookupBody,
    required: false,
    description: 'The fallback for the query parameter (CONTRACT.md: "not used by the CONNECTOR for now"). Other fields are ignored.',
    examples: { contract: { summary: "CONTRACT.md's body", value: CONTRACT_LOOKUP_BODY } },
  })
  @ApiLookupAnswers()
  @ApiErrorAnswer(400, 'No number in the query nor in the body, or a body that cannot be read as `{"inputs":{"phoneNumber":"…"}}`; the message names the field.', {
    noPhoneNumber: { summary: 'No number', value: errorBody(400, PHONE_NUMBER_REQUIRED) },
    ...BODY_REFUSALS,
  })
  @ApiErrorAnswer(413, 'A body over `LOOKUP_MAX_BODY_BYTES`, refused before it is read to its end.', {
    tooLarge: TOO_LARGE,
  })
  @ApiErrorAnswer(415, 'A body in another encoding than UTF-8 JSON.', { encoding: NOT_UTF8 })
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
    throw new BadRequestException(PHONE_NUMBER_REQUIRED);
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
