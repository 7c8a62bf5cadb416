import type { RecordKind } from '../../core/source';

/**
 * The shape of a template file (docs/templates.md), as it is once the loader has checked it against
 * `TEMPLATE_SCHEMA` and its own rules (placeholders, JSONPaths, patterns): one CRM's lookup, declared.
 */

/** The written forms of the caller's number a request may send (`{{number.<form>}}`), besides `last<N>`. */
export const NAMED_NUMBER_FORMS = ['e164', 'e164Digits', 'international00', 'national', 'nationalGrouped', 'nationalSignificant', 'nationalSignificantGrouped', 'internationalGrouped'] as const;
export type NamedNumberForm = (typeof NAMED_NUMBER_FORMS)[number];
/** `last4` … `last15`: the last N digits of the number in E.164. */
export const LAST_DIGITS_FORM = /^last([4-9]|1[0-5])$/;
export type NumberForm = NamedNumberForm | `last${number}`;

/** Keys every template has, or that the core handles for every source: no parameter may take these names. */
export const RESERVED_PARAMETER_NAMES = ['BASE_URL', 'TOKEN_URL', 'NAME', 'LOGO_URL', 'MAX_RPS', 'QUOTA_PER_DAY', 'QUOTA_PER_MONTH'] as const;

export interface TemplateParameter {
  /** The key after the prefix: `API_TOKEN` is `<PREFIX>_API_TOKEN` in the tenant file. */
  readonly name: string;
  readonly required: boolean;
  /** Never echoed in errors or logs, masked in the console. */
  readonly secret: boolean;
  readonly default?: string;
  /** A regular expression the whole value must match. */
  readonly pattern?: string;
  readonly description?: string;
}

export type TemplateAuth =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'apiKey'; readonly in: 'header' | 'query'; readonly name: string; readonly value: string }
  | {
      readonly type: 'oauth2';
      readonly grant: 'client_credentials' | 'refresh_token';
      /** The default of `<PREFIX>_TOKEN_URL`. */
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
      /** For `refresh_token` (Zoho): the long-lived refresh token. */
      readonly refreshToken?: string;
      readonly scope?: string;
      /** Where the client's id and secret go: the form body (default), or HTTP Basic. */
      readonly clientAuth?: 'body' | 'basic';
      /** The word before the access token in `Authorization` (default `Bearer`; Zoho wants `Zoho-oauthtoken`). */
      readonly scheme?: string;
    };

/** Whether a record is a person or a company: a constant, or a field whose values name companies. */
export type KindMapping = RecordKind | { readonly path: string; readonly company: readonly string[] };

export interface ResponseMapping {
  /** JSONPath to the records in the answer, e.g. `$.data.items[*].item`. */
  readonly records: string;
  /** The object type in the record ids the gateway hands out (`person`). */
  readonly objectType: string;
  /** The strict form of this object type's ids: a record whose id does not match is left out. */
  readonly idPattern: string;
  /** JSONPaths relative to one record (`$` is the record). */
  readonly id: string;
  readonly kind: KindMapping;
  /** One path, or several whose values are joined with a space (first name, last name). */
  readonly name: readonly string[];
  readonly company?: string;
  /** Link templates: `{{record.id}}`, `{{param.X}}`, and `{{param.BASE_URL}}` at the start. */
  readonly contactUrl?: string;
  readonly companyUrl?: string;
  /** JSONPath to the record's own web address in the answer (an Atom entry's link), when `contactUrl` cannot build it: used only when it is an http(s) URL. */
  readonly link?: string;
  /** Every path's values are the record's phones, verified by the core. */
  readonly phones: readonly string[];
  readonly modified?: string;
  /** Label → JSONPath, or a fixed text (`{ value: … }`, an attribution): shown in the card's custom data. */
  readonly customData: Readonly<Record<string, string | { readonly value: string }>>;
}

/**
 * How an answer is read before its paths are applied: JSON, or XML (an Atom feed), turned into the same
 * kind of structure with every element a list, named with its prefix as written (`tel:phone`), attributes
 * as `_name` and an element's text beside attributes as `_text` (docs/templates.md).
 */
export type AnswerFormat = 'json' | 'xml';

export interface TemplateRequest {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  /** Under `<PREFIX>_BASE_URL`; each placeholder is one path segment's worth, encoded. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body (POST): placeholders in its strings. */
  readonly body?: unknown;
  /** One request per form listed, `{{number.form}}` being the form of each (forms with the same value are sent once). */
  readonly forEach?: { readonly numberForm: readonly NumberForm[] };
  /** Answers that mean "no match" rather than a failure, e.g. 204 (Zoho) or 404. */
  readonly emptyStatuses: readonly number[];
  /** Sent only when the tenant's parameter holds this value (Odoo's `ODOO_API`: json2 or jsonrpc). */
  readonly when?: { readonly param: string; readonly equals: string };
  /** A 2xx answer that is a failure when `path` selects something (JSON-RPC's `error`, answered with 200). */
  readonly failure?: { readonly path: string; readonly message?: string; readonly vendorCode?: string; readonly auth: readonly string[]; readonly code: 'UNAVAILABLE' | 'BAD_REQUEST' };
  readonly format: AnswerFormat;
  readonly response: ResponseMapping;
}

export interface TemplateLimits {
  /** Most time one request may take, within the lookup's deadline anyway. */
  readonly timeoutMs?: number;
  /** Requests of one tenant to this CRM in flight at once. */
  readonly concurrency: number;
  /** Requests of one tenant to this CRM per second; 0: no limit of the template's own. */
  readonly requestsPerSecond: number;
  /** The default of `<PREFIX>_QUOTA_PER_DAY` / `_PER_MONTH`: searches of one tenant per calendar day / month. */
  readonly quota?: { readonly perDay?: number; readonly perMonth?: number };
}

export interface ErrorMapping {
  /** JSONPath to the CRM's message in an error answer. */
  readonly message?: string;
  /** JSONPath to the CRM's own error code. */
  readonly vendorCode?: string;
  /** Headers read, in order, for how long to wait after a 429 (seconds, or an HTTP date). */
  readonly retryAfterHeaders: readonly string[];
  /** The wait after a 429 that names none (seconds; search.ch's 429 means the month's quota is used); none when absent. */
  readonly retryAfterDefaultS?: number;
}

/** The workflows a template may write (the contract's); each carries the call's key for exactly-once delivery. */
export const TEMPLATE_WORKFLOWS = ['CallFlow', 'CreateContact', 'CreateTicket'] as const;
export type TemplateWorkflowName = (typeof TEMPLATE_WORKFLOWS)[number];

/** One write of a workflow: placeholders of the call (`{{call.subject}}`), its contact, the earlier record, the user and the tenant's parameters. */
export interface TemplateWrite {
  readonly method: 'POST' | 'PATCH' | 'PUT';
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON: a string that is one placeholder alone keeps its value's type; an entry whose placeholder has no value is left out. */
  readonly body?: unknown;
}

export interface TemplateWorkflow {
  readonly name: TemplateWorkflowName;
  /** The type of the record it writes, in the gateway's ids (`phonecall`). */
  readonly objectType: string;
  /** The form of those records' ids, from `^` to `$`. */
  readonly idPattern: string;
  /** Creates the record; `id` is the JSONPath to its id in the answer. */
  readonly create: TemplateWrite & { readonly id: string };
  /** Updates the record an earlier request of the call wrote (`{{previous.id}}`): CallFlow's later requests. */
  readonly update?: TemplateWrite;
  /**
   * Finds the record an earlier try of the create wrote, by `{{call.key}}`: without it a create whose
   * answer was lost is never sent again blindly. `id` is the JSONPath to the found record's id; an answer
   * of one of `emptyStatuses` (404) or without an id means none.
   */
  readonly find?: { readonly path: string; readonly query: Readonly<Record<string, string>>; readonly headers: Readonly<Record<string, string>>; readonly emptyStatuses: readonly number[]; readonly id: string };
  /** The record's link in the answer (`{{record.id}}`, `{{param.X}}`). */
  readonly url?: string;
}

export interface Template {
  /** The file it was read from, for messages. */
  readonly file: string;
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly badge: { readonly letters: string; readonly color: string };
  /** The default of `<PREFIX>_BASE_URL`: the real service. */
  readonly baseUrl: string;
  readonly parameters: readonly TemplateParameter[];
  readonly auth: TemplateAuth;
  readonly requests: readonly TemplateRequest[];
  readonly limits: TemplateLimits;
  readonly errors: ErrorMapping;
  /** `fallback`: asked only when no other source of the tenant matched (a public directory). */
  readonly tier: 'primary' | 'fallback';
  /** False: its answers are never kept (terms that do not allow it); each lookup asks again. */
  readonly cache: boolean;
  /** Asked only for numbers of these countries (ISO 3166 codes); every number when absent. */
  readonly countries?: readonly string[];
  readonly workflows: readonly TemplateWorkflow[];
}

const NAME = '^[A-Z][A-Z0-9_]*$';
const JSON_PATH = { type: 'string', pattern: '^\\$', minLength: 1, maxLength: 300 };
const TEXT = { type: 'string', minLength: 1, maxLength: 2000 };
const NUMBER_FORM = { type: 'string', pattern: `^(${NAMED_NUMBER_FORMS.join('|')}|last([4-9]|1[0-5]))$` };
/** One JSONPath, or a list of them (a pattern applies to a string only, items to a list only). */
const PATHS = (most: number) => ({ type: ['string', 'array'], pattern: '^\\$', maxLength: 300, minItems: 1, maxItems: most, items: JSON_PATH });
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string', maxLength: 2000 }, maxProperties: 50 };
const WRITE = {
  method: { enum: ['POST', 'PATCH', 'PUT'] },
  path: { type: 'string', pattern: '^/', maxLength: 500 },
  query: STRING_MAP,
  headers: STRING_MAP,
  body: {},
};
const WORKFLOW = {
  type: 'object',
  additionalProperties: false,
  required: ['objectType', 'idPattern', 'create'],
  properties: {
    objectType: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$' },
    idPattern: { type: 'string', minLength: 1, maxLength: 200 },
    url: { type: 'string', pattern: '^(https?://|\\{\\{\\s*param\\.BASE_URL\\s*\\}\\})', maxLength: 500 },
    create: { type: 'object', additionalProperties: false, required: ['method', 'path', 'id'], properties: { ...WRITE, id: JSON_PATH } },
    update: { type: 'object', additionalProperties: false, required: ['method', 'path'], properties: WRITE },
    find: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'id'],
      properties: {
        path: WRITE.path,
        query: STRING_MAP,
        headers: STRING_MAP,
        empty: { type: 'object', additionalProperties: false, properties: { statuses: { type: 'array', items: { type: 'integer', minimum: 200, maximum: 599 }, uniqueItems: true } } },
        id: JSON_PATH,
      },
    },
  },
};

/**
 * The JSON Schema of a template file (draft 2020-12 as Ajv reads it). Unknown keys are refused at every
 * level, so a misspelt key stops the start instead of being ignored.
 */
export const TEMPLATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'prefix', 'badge', 'baseUrl', 'auth', 'requests'],
  properties: {
    id: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,30}$' },
    name: { type: 'string', minLength: 1, maxLength: 60 },
    prefix: { type: 'string', pattern: '^[A-Z][A-Z0-9]{1,20}$' },
    badge: {
      type: 'object',
      additionalProperties: false,
      required: ['letters', 'color'],
      properties: { letters: { type: 'string', pattern: '^[A-Za-z0-9]{1,3}$' }, color: { type: 'string', pattern: '^#[0-9A-Fa-f]{6}$' } },
    },
    baseUrl: { type: 'string', pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$' },
    tier: { enum: ['primary', 'fallback'] },
    cache: { type: 'boolean' },
    countries: { type: 'array', minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', pattern: '^[A-Z]{2}$' } },
    workflows: { type: 'object', additionalProperties: false, properties: { CallFlow: WORKFLOW, CreateContact: WORKFLOW, CreateTicket: WORKFLOW } },
    parameters: {
      type: 'array',
      maxItems: 30,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: NAME, maxLength: 40 },
          required: { type: 'boolean' },
          secret: { type: 'boolean' },
          default: { type: 'string', maxLength: 2000 },
          pattern: { type: 'string', minLength: 1, maxLength: 500 },
          description: TEXT,
        },
      },
    },
    auth: {
      type: 'object',
      required: ['type'],
      // Ajv's discriminator: one error for an unknown `type`, then only the errors of the named kind.
      discriminator: { propertyName: 'type' },
      properties: { type: { type: 'string' } },
      oneOf: [
        { type: 'object', additionalProperties: false, properties: { type: { const: 'none' } } },
        { type: 'object', additionalProperties: false, required: ['token'], properties: { type: { const: 'bearer' }, token: TEXT } },
        { type: 'object', additionalProperties: false, required: ['username', 'password'], properties: { type: { const: 'basic' }, username: TEXT, password: TEXT } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['in', 'name', 'value'],
          properties: { type: { const: 'apiKey' }, in: { enum: ['header', 'query'] }, name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' }, value: TEXT },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['grant', 'tokenUrl', 'clientId', 'clientSecret'],
          properties: {
            type: { const: 'oauth2' },
            grant: { enum: ['client_credentials', 'refresh_token'] },
            tokenUrl: { type: 'string', pattern: '^https?://\\S+$' },
            clientId: TEXT,
            clientSecret: TEXT,
            refreshToken: TEXT,
            scope: TEXT,
            clientAuth: { enum: ['body', 'basic'] },
            scheme: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9._-]{0,31}$' },
          },
        },
      ],
    },
    requests: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'method', 'path', 'response'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,39}$' },
          method: { enum: ['GET', 'POST'] },
          path: { type: 'string', pattern: '^/', maxLength: 500 },
          query: STRING_MAP,
          headers: STRING_MAP,
          body: {},
          forEach: {
            type: 'object',
            additionalProperties: false,
            required: ['numberForm'],
            properties: { numberForm: { type: 'array', minItems: 1, maxItems: 10, uniqueItems: true, items: NUMBER_FORM } },
          },
          empty: {
            type: 'object',
            additionalProperties: false,
            properties: { statuses: { type: 'array', items: { type: 'integer', minimum: 200, maximum: 599 }, uniqueItems: true } },
          },
          when: {
            type: 'object',
            additionalProperties: false,
            required: ['param', 'equals'],
            properties: { param: { type: 'string', pattern: NAME, maxLength: 40 }, equals: { type: 'string', maxLength: 200 } },
          },
          failure: {
            type: 'object',
            additionalProperties: false,
            required: ['path'],
            properties: {
              path: JSON_PATH,
              message: JSON_PATH,
              vendorCode: JSON_PATH,
              auth: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 20 },
              code: { enum: ['UNAVAILABLE', 'BAD_REQUEST'] },
            },
          },
          format: { enum: ['json', 'xml'] },
          response: {
            type: 'object',
            additionalProperties: false,
            required: ['records', 'objectType', 'idPattern', 'id', 'kind', 'name', 'phones'],
            properties: {
              records: JSON_PATH,
              objectType: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$' },
              idPattern: { type: 'string', minLength: 1, maxLength: 200 },
              id: JSON_PATH,
              // A string is `person` or `company`; an object names the field and its values that mean a company.
              kind: {
                type: ['string', 'object'],
                pattern: '^(person|company)$',
                additionalProperties: false,
                required: ['path', 'company'],
                properties: { path: JSON_PATH, company: { type: 'array', minItems: 1, items: { type: 'string' } } },
              },
              name: PATHS(5),
              company: JSON_PATH,
              contactUrl: { type: 'string', pattern: '^(https?://|\\{\\{\\s*param\\.BASE_URL\\s*\\}\\})', maxLength: 500 },
              companyUrl: { type: 'string', pattern: '^(https?://|\\{\\{\\s*param\\.BASE_URL\\s*\\}\\})', maxLength: 500 },
              link: JSON_PATH,
              phones: PATHS(20),
              modified: JSON_PATH,
              customData: {
                type: 'object',
                maxProperties: 20,
                additionalProperties: {
                  type: ['string', 'object'],
                  pattern: '^\\$',
                  maxLength: 300,
                  additionalProperties: false,
                  required: ['value'],
                  properties: { value: { type: 'string', minLength: 1, maxLength: 200 } },
                },
              },
            },
          },
        },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutMs: { type: 'integer', minimum: 100, maximum: 30000 },
        concurrency: { type: 'integer', minimum: 1, maximum: 64 },
        requestsPerSecond: { type: 'number', minimum: 0, maximum: 1000 },
        quota: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { perDay: { type: 'integer', minimum: 1, maximum: 10000000 }, perMonth: { type: 'integer', minimum: 1, maximum: 100000000 } },
        },
      },
    },
    errors: {
      type: 'object',
      additionalProperties: false,
      properties: {
        message: JSON_PATH,
        vendorCode: JSON_PATH,
        retryAfterHeaders: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' }, maxItems: 5 },
        retryAfterDefaultS: { type: 'integer', minimum: 1, maximum: 900 },
      },
    },
  },
} as const;
