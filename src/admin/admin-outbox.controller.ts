import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { ApiErrorAnswer, errorBody, SECURITY, type AnswerExample } from '../http/openapi-answers';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { bearerMatches } from '../http/bearer-token';
import type { DeliveryState } from '../outbox/outbox';
import { AdminOutbox } from './admin-outbox.service';

const STATES: readonly DeliveryState[] = ['queued', 'sending', 'delivered', 'dead'];
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** A queued write as the admin sees it: no payload (it holds the call's numbers), the number masked. */
export interface DeliveryView {
  readonly id: string;
  readonly tenant: string;
  readonly source: string;
  readonly workflow: string;
  readonly state: DeliveryState;
  readonly version: number;
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nextAttemptAt?: string;
  readonly lastError?: string;
  readonly call: { readonly direction?: string; readonly startedTime?: string | number; readonly number?: string };
}

/** `DeliveryView` as the OpenAPI document describes it; `implements` keeps the two in step. */
class DeliveryViewAnswer implements DeliveryView {
  @ApiProperty({ description: 'The write\'s id in the outbox (a UUID\'s form).', example: '6f1c2d3e-4b5a-5c6d-a7e8-9f0a1b2c3d4e' })
  id!: string;
  @ApiProperty({ example: 'acme' })
  tenant!: string;
  @ApiProperty({ description: 'The source (CRM) it is for.', example: 'salesforce' })
  source!: string;
  @ApiProperty({ example: 'CallFlow' })
  workflow!: string;
  @ApiProperty({ enum: STATES, example: 'queued' })
  state!: DeliveryState;
  @ApiProperty({ type: 'integer', description: 'Bumped by each newer request of the call merged into it.', example: 1 })
  version!: number;
  @ApiProperty({ type: 'integer', example: 2 })
  attempts!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T09:15:01.000Z' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T09:15:11.000Z' })
  updatedAt!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Queued or sending only.', example: '2026-11-24T09:15:21.000Z' })
  nextAttemptAt?: string;
  @ApiPropertyOptional({ example: 'UNAVAILABLE: CRM answered 503 Service Unavailable' })
  lastError?: string;
  @ApiProperty({
    description: "The call, without its payload: the other party's number masked.",
    type: 'object',
    properties: { direction: { type: 'string' }, startedTime: { oneOf: [{ type: 'string' }, { type: 'number' }] }, number: { type: 'string' } },
    example: { direction: 'incoming', startedTime: '2026-11-24 10:15:00', number: '+41******228' },
  })
  call!: { readonly direction?: string; readonly startedTime?: string | number; readonly number?: string };
}

const ADMIN_OFF = 'The admin API is off: set ADMIN_TOKEN (24+ characters) and send Authorization: Bearer <ADMIN_TOKEN>.';
const ADMIN_REFUSED = 'Missing or invalid admin token: send Authorization: Bearer <ADMIN_TOKEN>.';
const ADMIN_OFF_EXAMPLE: AnswerExample = { summary: 'ADMIN_TOKEN unset', value: errorBody(404, ADMIN_OFF) };

/** 404: the admin API is off, or (a write's route) no such write. */
function ApiAdminNotFound(noSuchWrite?: AnswerExample): MethodDecorator & ClassDecorator {
  return ApiErrorAnswer(404, noSuchWrite ? 'No such write in the outbox, or the admin API is off (ADMIN_TOKEN unset).' : 'The admin API is off: ADMIN_TOKEN is not set.', {
    off: ADMIN_OFF_EXAMPLE,
    ...(noSuchWrite ? { noSuchWrite } : {}),
  });
}

/**
 * The outbox for the admin: `GET /admin/outbox?state=queued|sending|delivered|dead`, `POST
 * /admin/outbox/<id>/retry`, `DELETE /admin/outbox/<id>`. Off (404) without `ADMIN_TOKEN`; with it, only
 * `Authorization: Bearer <ADMIN_TOKEN>` opens it (a tenant's CONNECTOR token never does).
 */
@Public()
@ApiTags('admin')
@ApiSecurity(SECURITY.adminToken)
@ApiErrorAnswer(401, "No `Authorization: Bearer <ADMIN_TOKEN>`, or a wrong one; a tenant's token never opens the admin API.", {
  invalidToken: { summary: 'Missing or invalid token', value: errorBody(401, ADMIN_REFUSED) },
})
@ApiErrorAnswer(503, 'The outbox could not be opened at start (see the log; DATA_DIR).', {
  unavailable: { summary: 'No outbox', value: errorBody(503, 'The outbox ./data/outbox.sqlite could not be opened: see the log at start (DATA_DIR).') },
})
@Controller('admin/outbox')
export class AdminOutboxController {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly outbox: AdminOutbox,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The outbox', description: 'Workflow writes kept until their CRM takes them, by state, oldest first; no payload (it holds the call\'s numbers).' })
  @ApiQuery({ name: 'state', required: false, enum: STATES, description: 'Which writes (default `queued`).' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }, description: 'At most this many.' })
  @ApiOkResponse({ description: 'The writes in that state.', type: DeliveryViewAnswer, isArray: true })
  @ApiErrorAnswer(400, 'A `state` or `limit` out of range, named.', {
    badState: { summary: 'An unknown state', value: errorBody(400, `state must be one of ${STATES.join(', ')}`) },
    badLimit: { summary: 'A limit out of range', value: errorBody(400, `limit must be a whole number from 1 to ${MAX_LIMIT}`) },
  })
  @ApiAdminNotFound()
  async list(@Headers('authorization') authorization: string | undefined, @Query('state') state?: string, @Query('limit') limit?: string): Promise<DeliveryView[]> {
    this.authorize(authorization);
    const wanted = (state ?? 'queued') as DeliveryState;
    if (!STATES.includes(wanted)) throw new BadRequestException(`state must be one of ${STATES.join(', ')}`);
    const count = limit === undefined ? DEFAULT_LIMIT : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > MAX_LIMIT) throw new BadRequestException(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    return this.outbox.list(wanted, count);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Try a write again now', description: 'A queued write or a dead letter is tried at once (a dead letter gets a new run of tries).' })
  @ApiParam({ name: 'id', description: "The write's id in the outbox.", schema: { type: 'string' } })
  @ApiOkResponse({ description: 'The write, due now.', type: DeliveryViewAnswer })
  @ApiAdminNotFound({ summary: 'No such queued or dead write', value: errorBody(404, 'No queued or dead write 6f1c2d3e-4b5a-5c6d-a7e8-9f0a1b2c3d4e in the outbox') })
  async retry(@Headers('authorization') authorization: string | undefined, @Param('id') id: string): Promise<DeliveryView> {
    this.authorize(authorization);
    return this.outbox.retry(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Drop a write', description: 'Removes a write from the outbox: it is never delivered.' })
  @ApiParam({ name: 'id', description: "The write's id in the outbox.", schema: { type: 'string' } })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiAdminNotFound({ summary: 'No such write', value: errorBody(404, 'No write 6f1c2d3e-4b5a-5c6d-a7e8-9f0a1b2c3d4e in the outbox') })
  async drop(@Headers('authorization') authorization: string | undefined, @Param('id') id: string): Promise<void> {
    this.authorize(authorization);
    await this.outbox.drop(id);
  }

  private authorize(authorization: string | undefined): void {
    const expected = this.settings.ADMIN_TOKEN;
    if (expected === undefined) throw new NotFoundException(ADMIN_OFF);
    if (!bearerMatches(expected, authorization)) throw new UnauthorizedException(ADMIN_REFUSED);
  }
}
