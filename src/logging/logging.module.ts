import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Logger } from 'pino';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';
import { RequestLogMiddleware } from './request-log.middleware';
import { createRootLogger, LOG_DESTINATION, ROOT_LOGGER, stdoutDestination } from './root-logger';

@Module({
  providers: [
    { provide: LOG_DESTINATION, useFactory: stdoutDestination },
    {
      provide: ROOT_LOGGER,
      inject: [globalSettings.KEY, LOG_DESTINATION],
      useFactory: (settings: ResolvedGlobalSettings, destination: DestinationStream): Logger => createRootLogger(settings.LOG_LEVEL, destination),
    },
  ],
  exports: [LOG_DESTINATION, ROOT_LOGGER],
})
export class RootLoggerModule {}

/**
 * JSON logs through pino at `LOG_LEVEL`. nestjs-pino makes the root logger Nest's logger and the
 * services' `PinoLogger`; its per-request pino-http middleware is not used (`forRoutes: []`): it built
 * two child loggers per request, a fifth of a cached lookup's CPU. The request line comes from
 * {@link RequestLogMiddleware} instead: request id from `X-Request-Id`, tenant, route, status, duration,
 * and for lookups each source's outcome and time, the number masked. `configureApp` mounts it.
 */
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RootLoggerModule],
      inject: [ROOT_LOGGER],
      useFactory: (logger: Logger) => ({ pinoHttp: { logger }, forRoutes: [] }),
    }),
  ],
  providers: [RequestLogMiddleware],
  exports: [RequestLogMiddleware],
})
export class LoggingModule {}
