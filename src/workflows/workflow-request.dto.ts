import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, ValidateBy, ValidateNested } from 'class-validator';
import { isPlainObject } from '../http/json-body';
import { EXPECTED_TIME, parseCallTime } from '../calls/call-time';
import type { CallDirection } from '../calls/call-facts';
import { CALL_FLOW, CREATE_CONTACT, CREATE_TICKET } from '../core/workflow-handler';
import { ErrorAnswer, type AnswerExample } from '../http/openapi-answers';
import type { WorkflowAnswer } from './workflows.service';

/** Empty string and null mean "not set" (contract decision 3); numbers are accepted as text. */
const optionalText = ({ value }: { value: unknown }): unknown => {
  if (value === '' || value === null) return undefined;
  return typeof value === 'number' ? String(value) : value;
};
const notSet = ({ value }: { value: unknown }): unknown => (value === '' || value === null ? undefined : value);
const lowerCase = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && value !== '' ? value.toLowerCase() : notSet({ value }));

const TEXT = { message: '$property must be a string' };

/** How the OpenAPI document describes a text input: empty and null mean "not set", a number is taken as text. */
const textInput = (description: string, example?: string): Parameters<typeof ApiPropertyOptional>[0] => ({
  description: `${description} Empty or null: not set.`,
  type: String,
  nullable: true,
  ...(example === undefined ? {} : { example }),
});
/** A time input: text or epoch seconds/milliseconds; an optional one may be empty or null (not set). */
const timeInput = (description: string, { example, optional = true }: { example?: string; optional?: boolean } = {}): Parameters<typeof ApiPropertyOptional>[0] => ({
  description: `${description} ${EXPECTED_TIME[0]!.toUpperCase()}${EXPECTED_TIME.slice(1)}; without an offset, in the tenant's TIMEZONE.${optional ? ' Empty or null: not set.' : ''}`,
  oneOf: [{ type: 'string', nullable: optional }, { type: 'number' }],
  ...(example === undefined ? {} : { example }),
});

/** Checks the form of a time; the tenant's zone is applied later, when the time is read. */
function IsCallTime(): PropertyDecorator {
  return ValidateBy(
    { name: 'isCallTime', validator: { validate: (value: unknown) => parseCallTime(value, 'UTC').ok } },
    { message: `$property must be ${EXPECTED_TIME}` },
  );
}

/** The fields of contract part 2. Fields not listed here are ignored: peoplefone says the payload will grow. */
export class WorkflowInputs {
  @ApiPropertyOptional(textInput('The id we answered to an earlier workflow request of the same call; null on the first. A CallFlow carrying it updates that record.'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) id?: string;
  @ApiPropertyOptional(textInput("The contact's `Id` from the lookup: it names the CRM that owns the record.", 'salesforce:Contact:003000000000001AAA'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) contactCrmId?: string;
  @ApiPropertyOptional(textInput('The CRM user linked to the SIP user (CUSTOMER-PORTAL): a bare id, or one per source (`salesforce:005…,hubspot:12345`). The record\'s owner.', 'salesforce:005000000000002AAA'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) userCrmId?: string;
  @ApiPropertyOptional(textInput('The number that started the call.', '41789072228'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) originatorNumber?: string;
  @ApiPropertyOptional(textInput('Who started the call, when known.', 'Anna Muster'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) originatorName?: string;
  @ApiPropertyOptional(textInput('The number dialled.', '41446681800'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) destinationNumber?: string;
  @ApiPropertyOptional(textInput('Who answered, when known.', 'Reception'))
  @IsOptional() @Transform(optionalText) @IsString(TEXT) destinationName?: string;

  @ApiProperty({ description: 'The direction of the call (any case).', enum: ['incoming', 'outgoing'], example: 'incoming' })
  @Transform(lowerCase)
  @IsDefined({ message: '$property is required: "incoming" or "outgoing"' })
  @IsIn(['incoming', 'outgoing'], { message: '$property must be "incoming" or "outgoing"' })
  direction!: CallDirection;

  @ApiProperty(timeInput('When the call started (ringing).', { example: '2026-11-24 10:15:00', optional: false }))
  @Transform(notSet)
  @IsDefined({ message: `$property is required: ${EXPECTED_TIME}` })
  @IsCallTime()
  startedTime!: string | number;

  @ApiPropertyOptional(timeInput('When the call was answered; empty if it was not.'))
  @IsOptional() @Transform(notSet) @IsCallTime() answeredTime?: string | number;
  @ApiPropertyOptional(timeInput('When the call ended.'))
  @IsOptional() @Transform(notSet) @IsCallTime() endedTime?: string | number;
  @ApiPropertyOptional(timeInput('When the call was aborted; empty if it was answered.'))
  @IsOptional() @Transform(notSet) @IsCallTime() declinedTime?: string | number;
}

/** What a body that is not `{"inputs":{…}}` is told: one sentence, whatever else it was. */
export const WORKFLOW_BODY_SHAPE = 'The body must be a JSON object with an "inputs" object: {"inputs":{…}} holding the call\'s facts';

export class WorkflowBody {
  @ApiProperty({ type: WorkflowInputs, description: "The call's facts (CONTRACT.md part 2). Fields not listed are ignored: the payload may grow." })
  // Inputs that are no object are no inputs: refused by the one message, not also as a "nested property".
  @Transform(({ value }) => (isPlainObject(value) ? value : undefined))
  @IsDefined({ message: WORKFLOW_BODY_SHAPE })
  @ValidateNested()
  @Type(() => WorkflowInputs)
  inputs!: WorkflowInputs;
}

/** The answer of a workflow (CONTRACT.md part 2: `{"id": "...", "url": "..."}`), as the OpenAPI document describes it. */
export class WorkflowAnswerBody implements WorkflowAnswer {
  @ApiProperty({
    description:
      'Our id of the record written (`<source>:<objectType>:<recordId>`), or of the write kept in the outbox (`<source>:queued:<id>`) when the CRM could not take it in time. Send it as `inputs.id` in the call\'s next request.',
    example: 'salesforce:Task:00T000000000001EAA',
  })
  id!: string;

  @ApiPropertyOptional({ description: "The record's page in the CRM, for the CONNECTOR to open; absent for a queued write." })
  url?: string;
}

/** A workflow's refusals and failures: the error body, with what the gateway adds. */
export class WorkflowErrorAnswer extends ErrorAnswer {
  @ApiPropertyOptional({ description: '404: the workflows this tenant can use.', type: [String] })
  workflows?: string[];

  @ApiPropertyOptional({ description: '502, 504: the source (CRM) that failed.', example: 'salesforce' })
  source?: string;

  @ApiPropertyOptional({ description: '502, 504: why, as a code (`AUTH`, `RATE_LIMITED`, `TIMEOUT`, `UNAVAILABLE`, `CONFIG`, `BAD_REQUEST`).', example: 'UNAVAILABLE' })
  code?: string;
}

/** One workflow as the OpenAPI document shows it on its own path (`POST /lookup/<name>`). */
export interface DocumentedWorkflow {
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  readonly requests: Readonly<Record<string, AnswerExample>>;
  readonly answers: Readonly<Record<string, AnswerExample>>;
}

/** A call of docs/workflows.md: Anna Muster (Salesforce contact 003000000000001AAA) calls the reception. */
const ANNAS_CALL = {
  contactCrmId: 'salesforce:Contact:003000000000001AAA',
  userCrmId: 'salesforce:005000000000002AAA',
  originatorNumber: '41789072228',
  originatorName: 'Anna Muster',
  destinationNumber: '41446681800',
  destinationName: 'Reception',
  direction: 'incoming',
  startedTime: '2026-11-24 10:15:00',
  answeredTime: '',
  endedTime: '',
  declinedTime: '',
  id: null,
};
const ANNAS_TASK = 'salesforce:Task:00T000000000001EAA';
const SALESFORCE_PAGE = 'https://example.my.salesforce.com/lightning/r';
const ENDED = { answeredTime: '2026-11-24 10:15:09', endedTime: '2026-11-24T10:17:14+01:00' };

/** The three workflows the sources offer, with a request and an answer of each. */
export const DOCUMENTED_WORKFLOWS: readonly DocumentedWorkflow[] = [
  {
    name: CALL_FLOW,
    summary: 'Log the call (CallFlow)',
    description:
      'Logs the call as one activity on the contact (a Salesforce Task, a HubSpot call, a Sugar Call), in the tenant\'s LANGUAGE. The first request of a call (`id` null) creates it; each later request carrying our `id` (answered, ended) updates that same activity. A repeat of a first request within 10 minutes gets the first answer and writes nothing. peoplefone\'s portal can configure this workflow by itself.',
    requests: {
      callFlowRinging: { summary: 'First request of a call: ringing, id null', value: { inputs: ANNAS_CALL } },
      callFlowEnded: { summary: 'A later request of the same call, carrying our id: updates the activity', value: { inputs: { ...ANNAS_CALL, ...ENDED, id: ANNAS_TASK } } },
    },
    answers: {
      callFlowWritten: { summary: 'The activity written', value: { id: ANNAS_TASK, url: `${SALESFORCE_PAGE}/Task/00T000000000001EAA/view` } },
      callFlowQueued: { summary: 'Kept in the outbox (the CRM is down or slow): delivered later', value: { id: 'salesforce:queued:6f1c2d3e-4b5a-5c6d-a7e8-9f0a1b2c3d4e' } },
    },
  },
  {
    name: CREATE_TICKET,
    summary: 'Open a ticket for the call (CreateTicket)',
    description:
      "Opens a ticket (a Salesforce Case, a HubSpot ticket, a Sugar Case) linked to the contact, with the call as its subject. Its `id` may name the call's activity (CallFlow's answer, taken as context) or an earlier ticket of the call.",
    requests: { createTicket: { summary: 'A ticket for the ended call', value: { inputs: { ...ANNAS_CALL, ...ENDED, id: ANNAS_TASK } } } },
    answers: { createTicketWritten: { summary: 'The ticket opened', value: { id: 'salesforce:Case:500000000000001AAA', url: `${SALESFORCE_PAGE}/Case/500000000000001AAA/view` } } },
  },
  {
    name: CREATE_CONTACT,
    summary: 'Create a contact for the caller (CreateContact)',
    description:
      "Creates a contact (a Salesforce Lead, a HubSpot contact, a Sugar Lead) for an unknown caller in the tenant's WORKFLOW_DEFAULT_CRM, unless a record already has the number: then that record is the answer. The check goes through the same cache, circuit breaker and budget as a lookup: with the source's circuit open or its budget spent the answer is 502 and nothing is written. Never queued: the CONNECTOR needs the contact now.",
    requests: {
      createContact: {
        summary: 'An unknown caller',
        value: { inputs: { ...ANNAS_CALL, contactCrmId: null, originatorNumber: '41795550123', originatorName: 'Max Neukunde', ...ENDED } },
      },
    },
    answers: { createContactWritten: { summary: 'The contact created (or the record that has the number)', value: { id: 'salesforce:Lead:00Q000000000003EAA', url: `${SALESFORCE_PAGE}/Lead/00Q000000000003EAA/view` } } },
  },
];
