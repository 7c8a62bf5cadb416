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
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Public } from '../auth/public.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { bearerMatches } from '../http/bearer-token';
import { maskPhoneNumber } from '../logging/mask';
import { normalizeIncoming } from '../phone';
import { TenantRegistry } from '../tenants/tenant-registry';
import type { Delivery, DeliveryState, Outbox } from '../outbox/outbox';
import { OutboxStore } from '../outbox/outbox-store';

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

/**
 * The outbox for the admin: `GET /admin/outbox?state=queued|sending|delivered|dead`, `POST
 * /admin/outbox/<id>/retry`, `DELETE /admin/outbox/<id>`. Off (404) without `ADMIN_TOKEN`; with it, only
 * `Authorization: Bearer <ADMIN_TOKEN>` opens it (a tenant's CONNECTOR token never does).
 */
@Public()
@Controller('admin/outbox')
export class AdminOutboxController {
  constructor(
    @Inject(globalSettings.KEY) private readonly settings: ResolvedGlobalSettings,
    private readonly store: OutboxStore,
    private readonly tenants: TenantRegistry,
  ) {}

  @Get()
  async list(@Headers('authorization') authorization: string | undefined, @Query('state') state?: string, @Query('limit') limit?: string): Promise<DeliveryView[]> {
    const outbox = this.open(authorization);
    const wanted = (state ?? 'queued') as DeliveryState;
    if (!STATES.includes(wanted)) throw new BadRequestException(`state must be one of ${STATES.join(', ')}`);
    const count = limit === undefined ? DEFAULT_LIMIT : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > MAX_LIMIT) throw new BadRequestException(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    return (await outbox.list(wanted, count)).map((delivery) => this.view(delivery));
  }

  @Post(':id/retry')
  @HttpCode(200)
  async retry(@Headers('authorization') authorization: string | undefined, @Param('id') id: string): Promise<DeliveryView> {
    const outbox = this.open(authorization);
    if (!(await outbox.retryNow(id, Date.now()))) throw new NotFoundException(`No queued or dead write ${id} in the outbox`);
    return this.view((await outbox.get(id))!);
  }

  @Delete(':id')
  @HttpCode(204)
  async drop(@Headers('authorization') authorization: string | undefined, @Param('id') id: string): Promise<void> {
    const outbox = this.open(authorization);
    if (!(await outbox.remove(id))) throw new NotFoundException(`No write ${id} in the outbox`);
  }

  private open(authorization: string | undefined): Outbox {
    const expected = this.settings.ADMIN_TOKEN;
    if (expected === undefined) throw new NotFoundException('The admin API is off: set ADMIN_TOKEN (24+ characters) and send Authorization: Bearer <ADMIN_TOKEN>.');
    if (!bearerMatches(expected, authorization)) throw new UnauthorizedException('Missing or invalid admin token: send Authorization: Bearer <ADMIN_TOKEN>.');
    if (!this.store.outbox) throw new ServiceUnavailableException(`The outbox ${this.store.file} could not be opened: see the log at start (DATA_DIR).`);
    return this.store.outbox;
  }

  /** The call's other party as the logs show it: read in the tenant's region, then masked. */
  private view(delivery: Delivery): DeliveryView {
    const inputs = (JSON.parse(delivery.payload) as { inputs?: Record<string, string | number | undefined> }).inputs ?? {};
    const raw = inputs.direction === 'outgoing' ? inputs.destinationNumber : inputs.originatorNumber;
    const region = this.tenants.all().find((tenant) => tenant.id === delivery.tenantId)?.defaultRegion ?? 'CH';
    const read = typeof raw === 'string' ? normalizeIncoming(raw, region) : undefined;
    const number = typeof raw === 'string' ? maskPhoneNumber(read?.kind === 'phone' ? read.e164 : raw) : undefined;
    return viewOf(delivery, inputs, number);
  }
}

function viewOf(delivery: Delivery, inputs: Record<string, string | number | undefined>, number: string | undefined): DeliveryView {
  const waiting = delivery.state === 'queued' || delivery.state === 'sending';
  return {
    id: delivery.id,
    tenant: delivery.tenantId,
    source: delivery.sourceId,
    workflow: delivery.workflow,
    state: delivery.state,
    version: delivery.version,
    attempts: delivery.attempts,
    createdAt: new Date(delivery.createdAt).toISOString(),
    updatedAt: new Date(delivery.updatedAt).toISOString(),
    nextAttemptAt: waiting ? new Date(delivery.nextAttemptAt).toISOString() : undefined,
    lastError: delivery.lastError,
    call: { direction: inputs.direction as string | undefined, startedTime: inputs.startedTime, number },
  };
}
