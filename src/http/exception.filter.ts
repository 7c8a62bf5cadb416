import { Catch, HttpException, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

/**
 * The framework's answers, with one addition: a 4xx closes the connection after it. A refused or
 * mistaken client does not keep a connection (and a file descriptor) for the keep-alive time, and a
 * body left unread is not drained. Well-behaved callers, whose requests succeed, keep theirs.
 */
@Catch()
export class GatewayExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    if (status >= 400 && status < 500 && !response.headersSent) response.setHeader('Connection', 'close');
    super.catch(exception, host);
  }
}
