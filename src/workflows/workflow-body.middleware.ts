import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import type { TenantRequest } from '../auth/current-tenant.decorator';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { declaredKeys } from '../config/settings-validation';
import { jsonBodyReader } from '../http/json-body';
import { refuse } from '../http/refusal';
import { WorkflowInputs } from './workflow-request.dto';
import { WorkflowsService } from './workflows.service';

/** Longer than any workflow name a person sets up in the CONNECTOR; a longer one is refused unread. */
export const MAX_WORKFLOW_NAME_LENGTH = 64;
/** `POST /lookup/Lookup` is the lookup's body form, read by the lookup's reader. */
const LOOKUP_SEGMENT = 'lookup';

/**
 * A workflow's body: read as JSON whatever its media type (`curl -d` sends form encoding), at most
 * `WORKFLOW_MAX_BODY_BYTES`, only the known `inputs` kept. The route decides first: a name too long to
 * be a workflow, or one no source of the tenant offers, is answered 404 before the body is read.
 */
@Injectable()
export class WorkflowBodyReader implements NestMiddleware {
  private readonly read: ReturnType<typeof jsonBodyReader>;

  constructor(
    @Inject(globalSettings.KEY) settings: ResolvedGlobalSettings,
    private readonly workflows: WorkflowsService,
  ) {
    this.read = jsonBodyReader({
      maxBytes: settings.WORKFLOW_MAX_BODY_BYTES,
      limitSetting: 'WORKFLOW_MAX_BODY_BYTES',
      anyContentType: true,
      knownInputs: declaredKeys(WorkflowInputs),
    });
  }

  use(req: TenantRequest, res: Response, next: NextFunction): void {
    // Without a tenant the guard refuses it (and counts the attempt). Mounted as the route `lookup/:workflow`.
    const segment = (req.params as Record<string, string | undefined>).workflow ?? '';
    if (!req.tenant || segment.toLowerCase() === LOOKUP_SEGMENT) return next();
    if (segment.length > MAX_WORKFLOW_NAME_LENGTH) {
      refuse(req, res, 404, `Unknown workflow: workflow names are at most ${MAX_WORKFLOW_NAME_LENGTH} characters.`);
      return;
    }
    // Thrown here, it is answered by the global exception filter, as the service's own 404 would be.
    this.workflows.refuseUnknownWorkflow(req.tenant, segment);
    this.read(req, res, next);
  }
}
