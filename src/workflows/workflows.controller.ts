import { Body, Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { INVALID_TOKEN_MESSAGE } from '../auth/failed-tokens';
import { EXPECTED_TIME } from '../calls/call-time';
import { ApiErrorAnswer, ApiTenantTokenRefusals, errorBody, SECURITY } from '../http/openapi-answers';
import type { Tenant } from '../tenants/tenant';
import { RequestId } from '../logging/request-id.decorator';
import { MAX_WORKFLOW_NAME_LENGTH } from './workflow-body.middleware';
import { DOCUMENTED_WORKFLOWS, WORKFLOW_BODY_SHAPE, WorkflowAnswerBody, WorkflowBody, WorkflowErrorAnswer } from './workflow-request.dto';
import { WorkflowsService, type WorkflowAnswer } from './workflows.service';

const examplesOf = (part: 'requests' | 'answers') => Object.assign({}, ...DOCUMENTED_WORKFLOWS.map((workflow) => workflow[part])) as Record<string, { summary: string; value: unknown }>;

/** `POST /lookup/<WorkflowName>`: the CONNECTOR's business workflows (`/lookup/Lookup` is the lookup). */
@ApiTags('workflows')
@ApiSecurity(SECURITY.tenantToken)
@ApiTenantTokenRefusals(INVALID_TOKEN_MESSAGE)
@Controller('lookup')
export class WorkflowsController {
  constructor(private readonly workflows: WorkflowsService) {}

  @Post(':workflow')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Run a business workflow',
    description:
      "Writes the call into the CRM that owns the record: our `id` names the record to update, else `contactCrmId` (the lookup's `Id`) names the owning source, else the tenant's WORKFLOW_DEFAULT_CRM. " +
      'A write the CRM cannot take now (down, rate-limited, slower than WORKFLOW_TIMEOUT_MS) is kept in the outbox and answered with a queued id; it is delivered later. ' +
      'The name is decided before the body is read; the body is read as JSON whatever its media type, at most WORKFLOW_MAX_BODY_BYTES, and unknown input fields are ignored. ' +
      'The names the sources offer are CallFlow, CreateTicket and CreateContact (each has its own path below); a card lists its source\'s in `CrmActions`.',
  })
  @ApiParam({
    name: 'workflow',
    description: `The workflow's name, in any case, at most ${MAX_WORKFLOW_NAME_LENGTH} characters; one a source of the tenant offers.`,
    schema: { type: 'string', maxLength: MAX_WORKFLOW_NAME_LENGTH },
    examples: Object.fromEntries(DOCUMENTED_WORKFLOWS.map(({ name, summary }) => [name, { summary, value: name }])),
  })
  @ApiBody({ type: WorkflowBody, description: "`{\"inputs\":{…}}`: the call's facts (CONTRACT.md part 2).", examples: examplesOf('requests') })
  @ApiOkResponse({ description: 'The record written (or queued), and where to open it.', type: WorkflowAnswerBody, examples: examplesOf('answers') })
  @ApiErrorAnswer(
    400,
    'A body that is not `{"inputs":{…}}`, a bad field (named, one sentence each), or times out of order (naming both); nothing is written.',
    {
      wrongShape: { summary: 'A body that is not {"inputs":{…}}', value: errorBody(400, [WORKFLOW_BODY_SHAPE]) },
      badTime: { summary: 'A time in no known form', value: errorBody(400, [`inputs.endedTime must be ${EXPECTED_TIME}`]) },
      noDirection: { summary: 'A required field missing', value: errorBody(400, ['inputs.direction is required: "incoming" or "outgoing"', 'inputs.direction must be "incoming" or "outgoing"']) },
      timesOutOfOrder: {
        summary: 'An end before the start',
        value: errorBody(400, ['inputs.endedTime (2026-11-24 10:14:00) is before inputs.startedTime (2026-11-24 10:15:00)']),
      },
    },
    WorkflowErrorAnswer,
  )
  @ApiErrorAnswer(
    404,
    'A workflow name no source of the tenant offers (listing those it can use), decided before the body is read.',
    {
      unknownWorkflow: {
        summary: 'An unknown name',
        value: errorBody(404, 'Unknown workflow "SendFax". This tenant can use: CallFlow, CreateContact, CreateTicket.', { workflows: ['CallFlow', 'CreateContact', 'CreateTicket'] }),
      },
      noWorkflows: { summary: 'A tenant whose sources offer none (a phone book)', value: errorBody(404, 'Unknown workflow "CallFlow". No source of this tenant offers workflows.', { workflows: [] }) },
    },
    WorkflowErrorAnswer,
  )
  @ApiErrorAnswer(413, 'A body over WORKFLOW_MAX_BODY_BYTES, refused before it is read to its end.', {
    tooLarge: { summary: 'A body over the limit (default 8192 bytes)', value: errorBody(413, 'The body is larger than the 8192 bytes this route accepts (WORKFLOW_MAX_BODY_BYTES).') },
  })
  @ApiErrorAnswer(415, 'A body in another encoding than UTF-8 JSON.', {
    encoding: { summary: 'Another charset', value: errorBody(415, "The body's encoding is not supported: send UTF-8 JSON.") },
  })
  @ApiErrorAnswer(
    422,
    "An `id` or `contactCrmId` this gateway did not issue (to this tenant), an `id` of a type the workflow does not take, a workflow the owning source does not offer, or an unknown caller without WORKFLOW_DEFAULT_CRM: nothing is sent to a CRM.",
    {
      notOurs: { summary: 'A contactCrmId we did not issue', value: errorBody(422, 'inputs.contactCrmId is not an id this gateway issued') },
      nowhereToWrite: {
        summary: 'An unknown caller, no WORKFLOW_DEFAULT_CRM',
        value: errorBody(422, 'No inputs.contactCrmId (the caller is unknown) and no WORKFLOW_DEFAULT_CRM for this tenant: nowhere to write.'),
      },
    },
    WorkflowErrorAnswer,
  )
  @ApiErrorAnswer(
    502,
    "The CRM refused the write for good, or it may have written it without answering (not sent again blindly), or (CreateContact) its circuit is open or its budget spent: naming the source and the reason. Without an outbox (DATA_DIR unwritable), also every write the CRM could not take.",
    {
      refused: {
        summary: 'The CRM refused the write',
        value: errorBody(502, 'salesforce: REQUIRED_FIELD_MISSING: Required fields are missing: [Subject]', { source: 'salesforce', code: 'BAD_REQUEST' }),
      },
    },
    WorkflowErrorAnswer,
  )
  @ApiErrorAnswer(
    504,
    'A write not done within WORKFLOW_TIMEOUT_MS where it cannot be queued (CreateContact, no outbox): it goes on, and a retry of the request gets its result instead of writing twice.',
    {
      late: {
        summary: 'The CRM did not answer in time',
        value: errorBody(504, 'salesforce did not answer within 10000 ms; the write goes on, and a retry of this request returns its result.', { source: 'salesforce' }),
      },
    },
    WorkflowErrorAnswer,
  )
  async run(
    @CurrentTenant() tenant: Tenant,
    @RequestId() reqId: string,
    @Param('workflow') workflow: string,
    @Body() body: WorkflowBody,
  ): Promise<WorkflowAnswer> {
    return this.workflows.run(tenant, workflow, body.inputs, reqId);
  }
}
