import { Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, ValidateBy, ValidateNested } from 'class-validator';
import { isPlainObject } from '../http/json-body';
import { EXPECTED_TIME, parseCallTime } from '../calls/call-time';
import type { CallDirection } from '../calls/call-facts';

/** Empty string and null mean "not set" (contract decision 3); numbers are accepted as text. */
const optionalText = ({ value }: { value: unknown }): unknown => {
  if (value === '' || value === null) return undefined;
  return typeof value === 'number' ? String(value) : value;
};
const notSet = ({ value }: { value: unknown }): unknown => (value === '' || value === null ? undefined : value);
const lowerCase = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && value !== '' ? value.toLowerCase() : notSet({ value }));

const TEXT = { message: '$property must be a string' };

/** Checks the form of a time; the tenant's zone is applied later, when the time is read. */
function IsCallTime(): PropertyDecorator {
  return ValidateBy(
    { name: 'isCallTime', validator: { validate: (value: unknown) => parseCallTime(value, 'UTC').ok } },
    { message: `$property must be ${EXPECTED_TIME}` },
  );
}

/** The fields of contract part 2. Fields not listed here are ignored: peoplefone says the payload will grow. */
export class WorkflowInputs {
  @IsOptional() @Transform(optionalText) @IsString(TEXT) id?: string;
  @IsOptional() @Transform(optionalText) @IsString(TEXT) contactCrmId?: string;
  @IsOptional() @Transform(optionalText) @IsString(TEXT) userCrmId?: string;
  @IsOptional() @Transform(optionalText) @IsString(TEXT) originatorNumber?: string;
  @IsOptional() @Transform(optionalText) @IsString(TEXT) originatorName?: string;
  @IsOptional() @Transform(optionalText) @IsString(TEXT) destinationNumber?: string;
  @IsOptional() @Transform(optionalText) @IsString(TEXT) destinationName?: string;

  @Transform(lowerCase)
  @IsDefined({ message: '$property is required: "incoming" or "outgoing"' })
  @IsIn(['incoming', 'outgoing'], { message: '$property must be "incoming" or "outgoing"' })
  direction!: CallDirection;

  @Transform(notSet)
  @IsDefined({ message: `$property is required: ${EXPECTED_TIME}` })
  @IsCallTime()
  startedTime!: string | number;

  @IsOptional() @Transform(notSet) @IsCallTime() answeredTime?: string | number;
  @IsOptional() @Transform(notSet) @IsCallTime() endedTime?: string | number;
  @IsOptional() @Transform(notSet) @IsCallTime() declinedTime?: string | number;
}

/** What a body that is not `{"inputs":{…}}` is told: one sentence, whatever else it was. */
export const WORKFLOW_BODY_SHAPE = 'The body must be a JSON object with an "inputs" object: {"inputs":{…}} holding the call\'s facts';

export class WorkflowBody {
  // Inputs that are no object are no inputs: refused by the one message, not also as a "nested property".
  @Transform(({ value }) => (isPlainObject(value) ? value : undefined))
  @IsDefined({ message: WORKFLOW_BODY_SHAPE })
  @ValidateNested()
  @Type(() => WorkflowInputs)
  inputs!: WorkflowInputs;
}
