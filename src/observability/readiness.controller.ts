import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '../auth/public.decorator';
import { TenantRegistry } from '../config/tenant-registry';
import { SourceHealth } from './source-health';

/** Ready once tenants are loaded; per source its last outcome. Names no tenant. */
@Controller('health/ready')
export class ReadinessController {
  constructor(
    private readonly tenants: TenantRegistry,
    private readonly health: SourceHealth,
  ) {}

  @Public()
  @Get()
  ready(): { status: 'ready'; tenants: number; sources: ReturnType<SourceHealth['snapshot']> } {
    const count = this.tenants.all().length;
    if (count === 0) throw new ServiceUnavailableException('No tenants loaded yet.');
    return { status: 'ready', tenants: count, sources: this.health.snapshot() };
  }
}
