import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { setSecurityHeaders } from './console-gate.middleware';
import { messagePage } from './console-pages';

/** A console route's failure as a page (the admin API and the lookups answer JSON; a browser shows this). */
@Catch()
export class ConsoleErrorPage implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    let detail = 'The gateway failed to answer this page: see its log.';
    if (exception instanceof HttpException) detail = messageOf(exception);
    else this.logger.error(`A console page failed: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    setSecurityHeaders(response);
    if (status >= 400 && status < 500) response.setHeader('Connection', 'close');
    response.status(status).type('html').send(messagePage(status, status === 404 ? 'Not found' : 'Could not be done', detail).text);
  }
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
}
