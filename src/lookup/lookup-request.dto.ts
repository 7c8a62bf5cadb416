import { Transform, Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

const numberAsText = ({ value }: { value: unknown }): unknown => (typeof value === 'number' ? String(value) : value);

export class LookupInputs {
  @IsOptional()
  @Transform(numberAsText)
  @IsString({ message: '$property must be the phone number as a string, e.g. "41789072228"' })
  phoneNumber?: string;
}

/** What a body that is not `{"inputs":{…}}` is told, instead of the validator's words for each part. */
export const LOOKUP_BODY_SHAPE = 'The body must be a JSON object with an "inputs" object: {"inputs":{"phoneNumber":"41789072228"}}';

/** `{"inputs":{"phoneNumber":"41789072228"}}`: the body form of the lookup. */
export class LookupBody {
  @IsOptional()
  @IsObject({ message: '$property must be an object such as {"phoneNumber":"41789072228"}' })
  @ValidateNested()
  @Type(() => LookupInputs)
  inputs?: LookupInputs;
}
