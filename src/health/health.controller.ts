import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';

/** Liveness for load balancers and monitors; says nothing about tenants. */
@ApiTags('monitoring')
@Controller('health')
export class HealthController {
  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness', description: 'For load balancers and monitors: the process answers. Open without a token; names no tenant.' })
  @ApiOkResponse({
    description: 'The gateway runs.',
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
    example: { status: 'ok' },
  })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
