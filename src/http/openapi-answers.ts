import { STATUS_CODES } from 'node:http';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/**
 * What the OpenAPI document (`/docs-json`, built in src/openapi.ts) says of the answers every route
 * shares: the error body and who may call. Here, below every floor with routes, so each controller
 * describes its own refusals with the same schema.
 */

/** The names of the security schemes (declared once, in src/openapi.ts). */
export const SECURITY = {
  /** A tenant's `TOKEN`, in its `AUTH_HEADER` (default `X-Execution-Token`): lookups and workflows. */
  tenantToken: 'tenantToken',
  /** `Authorization: Bearer <METRICS_TOKEN>`: /metrics and the details of /health/ready. */
  metricsToken: 'metricsToken',
  /** `Authorization: Bearer <ADMIN_TOKEN>`: the admin API. */
  adminToken: 'adminToken',
} as const;

/** A refusal or a failure, as the framework and the gateway's edge write them. */
export class ErrorAnswer {
  @ApiProperty({ description: 'The HTTP status, repeated.', example: 400 })
  statusCode!: number;

  @ApiProperty({ description: "The status's name.", example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    description: 'What is wrong, in words: one sentence, or (a refused field of a body) one sentence per field, each naming it.',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'PhoneNumber is required: send ?PhoneNumber=41789072228 or the body {"inputs":{"phoneNumber":"41789072228"}}',
  })
  message!: string | string[];
}

export interface AnswerExample {
  readonly summary: string;
  readonly value: unknown;
}

/** An error body as the gateway writes it: `{statusCode, error, message}`, and any fields of its own. */
export function errorBody(status: number, message: string | readonly string[], extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...extra };
}

/** One error status of a route: when it is answered, and examples of its body as the code writes it. */
export function ApiErrorAnswer(
  status: number,
  description: string,
  examples: Readonly<Record<string, AnswerExample>>,
  type: new () => ErrorAnswer = ErrorAnswer,
): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, type, examples: { ...examples } });
}

/**
 * The refusals of a route behind a tenant's token: 401 (missing or wrong token) and 429 (too many
 * failed tokens from one address, `AUTH_FAILURES_PER_MINUTE`). `invalidTokenMessage` is the real one.
 */
export function ApiTenantTokenRefusals(invalidTokenMessage: string, type: new () => ErrorAnswer = ErrorAnswer): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiErrorAnswer(
      401,
      "No token, or not one of a tenant's: the same answer for both, naming no tenant. A request without a token that carries a body is refused before its body is read.",
      { invalidToken: { summary: 'Missing or invalid token', value: errorBody(401, invalidTokenMessage) } },
      type,
    ),
    ApiResponse({
      status: 429,
      description: 'Too many failed token attempts from this address within a minute (AUTH_FAILURES_PER_MINUTE); `Retry-After` says when to try again.',
      type,
      headers: { 'Retry-After': { description: 'Seconds until the address may try again.', schema: { type: 'integer', minimum: 1 } } },
      examples: { throttled: { summary: 'Throttled address', value: errorBody(429, 'Too many invalid tokens from this address; try again in 42 s.') } },
    }),
  );
}
