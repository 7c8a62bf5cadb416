import { Module, type InjectionToken } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream } from 'pino';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { isUnlogged, requestId, requestLine } from './request-log';

/** Where log lines go: stdout, one JSON object a line. */
export const LOG_DESTINATION: InjectionToken<DestinationStream> = Symbol('LOG_DESTINATION');

/** Belt and braces: the request serializers log no headers, but nothing secret may slip through. */
export const REDACTED_PATHS = [
  'req.headers',
  'res.headers',
  'headers',
  '*.authorization',
  '*["x-execution-token"]',
  '*["oauth-token"]',
  '*.password',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
];

@Module({
  providers: [{ provide: LOG_DESTINATION, useFactory: (): DestinationStream => pino.destination(1) }],
  exports: [LOG_DESTINATION],
})
export class LogDestinationModule {}

/**
 * JSON logs through pino at `LOG_LEVEL`: one line per request (request id from `X-Request-Id`, tenant,
 * route, status, duration, and for lookups each source's outcome and time, the number masked).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      imports: [LogDestinationModule],
      inject: [globalSettings.KEY, LOG_DESTINATION],
      useFactory: (settings: ResolvedGlobalSettings, destination: DestinationStream) => ({
        pinoHttp: [
          {
            level: settings.LOG_LEVEL,
            quietReqLogger: true,
            quietResLogger: true,
            genReqId: requestId,
            // pino-http binds `req`/`res` to a child logger per request; the request line is built by
            // requestLine() instead, so these stay cheap (and can never carry headers).
            serializers: { req: (req: { id?: unknown }) => ({ id: req.id }), res: () => undefined },
            autoLogging: { ignore: isUnlogged },
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            customSuccessMessage: () => 'request completed',
            customErrorMessage: () => 'request failed',
            customSuccessObject: (req, res, value: { responseTime: number }) => requestLine(req, res, value.responseTime),
            customErrorObject: (req, res, error: Error, value: { responseTime: number }) => ({ ...requestLine(req, res, value.responseTime), error: error.message }),
          },
          destination,
        ],
      }),
    }),
  ],
})
export class LoggingModule {}
