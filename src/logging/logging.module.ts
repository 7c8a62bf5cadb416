import { Module, type InjectionToken } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream } from 'pino';
import { globalSettings, type ResolvedGlobalSettings } from '../config/global-settings';

/** Where log lines go: stdout, one JSON object a line. */
export const LOG_DESTINATION: InjectionToken<DestinationStream> = Symbol('LOG_DESTINATION');

@Module({
  providers: [{ provide: LOG_DESTINATION, useFactory: (): DestinationStream => pino.destination(1) }],
  exports: [LOG_DESTINATION],
})
export class LogDestinationModule {}

/**
 * JSON logs through pino at `LOG_LEVEL`. Requests are not logged wholesale: their URLs carry phone
 * numbers and their headers carry tokens. Each lookup logs one line of its own, with the number masked.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      imports: [LogDestinationModule],
      inject: [globalSettings.KEY, LOG_DESTINATION],
      useFactory: (settings: ResolvedGlobalSettings, destination: DestinationStream) => ({
        pinoHttp: [{ level: settings.LOG_LEVEL, autoLogging: false, quietReqLogger: true }, destination],
      }),
    }),
  ],
})
export class LoggingModule {}
