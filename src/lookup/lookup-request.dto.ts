import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import type { PascalCard } from './card.presenter';

const numberAsText = ({ value }: { value: unknown }): unknown => (typeof value === 'number' ? String(value) : value);

export class LookupInputs {
  @ApiPropertyOptional({
    description: 'The number asked about, as in the query parameter (a number is taken as its digits).',
    type: String,
    example: '41215522000',
  })
  @IsOptional()
  @Transform(numberAsText)
  @IsString({ message: '$property must be the phone number as a string, e.g. "41789072228"' })
  phoneNumber?: string;
}

/** What a body that is not `{"inputs":{…}}` is told, instead of the validator's words for each part. */
export const LOOKUP_BODY_SHAPE = 'The body must be a JSON object with an "inputs" object: {"inputs":{"phoneNumber":"41789072228"}}';

/** `{"inputs":{"phoneNumber":"41789072228"}}`: the body form of the lookup. */
export class LookupBody {
  @ApiPropertyOptional({ type: LookupInputs })
  @IsOptional()
  @IsObject({ message: '$property must be an object such as {"phoneNumber":"41789072228"}' })
  @ValidateNested()
  @Type(() => LookupInputs)
  inputs?: LookupInputs;
}

const TEXT_MAP = { type: 'object', additionalProperties: { type: 'string' } } as const;

/**
 * A contact card as the OpenAPI document describes it (the answer itself is built by `presentCard`);
 * `implements` keeps the two in step. A tenant with `RESPONSE_CASE=camel` gets the same keys in camelCase.
 */
export class LookupCard implements PascalCard {
  @ApiProperty({ description: "The contact's full name (for a company record, the company's name).", example: 'Alexa Holiday' })
  Name!: string;

  @ApiProperty({ description: 'The company the contact belongs to; empty when none.', example: 'White Cross Co' })
  Company!: string;

  @ApiProperty({ description: "Link to the contact's page in the CRM; empty when none." })
  ContactUri!: string;

  @ApiProperty({ description: "Link to the company's page in the CRM; empty when none." })
  CompanyUri!: string;

  @ApiProperty({
    description:
      'Our id of the record, opaque to the CONNECTOR (`<source>:<objectType>:<recordId>`, signed when RECORD_ID_SECRET is set). It comes back as a workflow\'s `contactCrmId`.',
    example: 'sugar:Contacts:9d8f3c2a-5b1e-11ef-9a4b-0242ac120002',
  })
  Id!: string;

  @ApiProperty({ description: "The CRM's name, the logo's tooltip (a source's `<PREFIX>_NAME`).", example: 'Sugar CRM' })
  CrmName!: string;

  @ApiProperty({ description: "URL of the CRM's logo: `<PUBLIC_URL>/logos/<source>.svg`, or the source's `<PREFIX>_LOGO_URL`." })
  CrmLogo!: string;

  @ApiProperty({ description: 'The workflows the record\'s source offers (`POST /lookup/<name>`); empty for a read-only source.', type: [String], example: ['CallFlow', 'CreateContact', 'CreateTicket'] })
  CrmActions!: string[];

  @ApiPropertyOptional({ description: "The customer's own fields, label → value (the tenant's `CUSTOM_DATA_FIELDS`).", ...TEXT_MAP })
  CustomData?: Record<string, string>;

  @ApiPropertyOptional({ description: 'The same object as `CustomData`, under the name the contract\'s table uses (decision 1).', ...TEXT_MAP })
  CustomFields?: Record<string, string>;
}

/** The query parameter of CONTRACT.md part 1 (`?PhoneNumber=4178907228`). */
export const CONTRACT_PHONE_NUMBER = '4178907228';

/** The body of CONTRACT.md part 1, "not used by the CONNECTOR for now": the fallback for the query. */
export const CONTRACT_LOOKUP_BODY = { inputs: { phoneNumber: '41215522000' } };

/** CONTRACT.md's answer: its card, with our `Id`, real links and the fields the gateway adds. */
export const CONTRACT_LOOKUP_ANSWER: readonly LookupCard[] = [
  {
    Name: 'Alexa Holiday',
    Company: 'White Cross Co',
    ContactUri: 'https://crm.example.ch/#Contacts/9d8f3c2a-5b1e-11ef-9a4b-0242ac120002',
    CompanyUri: 'https://crm.example.ch/#Accounts/4a7e2b10-5b1e-11ef-9a4b-0242ac120002',
    Id: 'sugar:Contacts:9d8f3c2a-5b1e-11ef-9a4b-0242ac120002',
    CrmName: 'Sugar CRM',
    CrmLogo: 'https://lookup.example.ch/logos/sugar.svg',
    CrmActions: ['CallFlow', 'CreateContact', 'CreateTicket'],
    CustomData: { Title1: 'Data1', Title2: 'Data2' },
    CustomFields: { Title1: 'Data1', Title2: 'Data2' },
  },
];
