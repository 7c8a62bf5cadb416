import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { LoggedRequest } from './request-log';

/** The id the request line carries (`X-Request-Id`, or one made up): for the lines a handler logs. */
export const RequestId = createParamDecorator((_: unknown, context: ExecutionContext): string => requestIdOf(context.switchToHttp().getRequest<LoggedRequest>()));

/** Set by `RequestLogMiddleware`, the first middleware of every request, as `req.id` (pino's convention). */
export function requestIdOf(request: LoggedRequest): string {
  return typeof request.id === 'string' ? request.id : 'unknown';
}
