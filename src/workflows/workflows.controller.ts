import { Body, Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import type { Tenant } from '../tenants/tenant';
import { RequestId } from '../logging/request-id.decorator';
import { WorkflowBody } from './workflow-request.dto';
import { WorkflowsService, type WorkflowAnswer } from './workflows.service';

/** `POST /lookup/<WorkflowName>`: the CONNECTOR's business workflows (`/lookup/Lookup` is the lookup). */
@Controller('lookup')
export class WorkflowsController {
  constructor(private readonly workflows: WorkflowsService) {}

  @Post(':workflow')
  @HttpCode(HttpStatus.OK)
  async run(
    @CurrentTenant() tenant: Tenant,
    @RequestId() reqId: string,
    @Param('workflow') workflow: string,
    @Body() body: WorkflowBody,
  ): Promise<WorkflowAnswer> {
    return this.workflows.run(tenant, workflow, body.inputs, reqId);
  }
}
