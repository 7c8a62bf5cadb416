import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';

/** The signals that stop the gateway; `SIGHUP` reloads the tenants folder instead (see `main.ts`). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'];

/** One line when a signal stops the gateway, one when it has stopped, so the admin sees a stop was clean. */
@Injectable()
export class StopLog implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');

  beforeApplicationShutdown(signal?: string): void {
    if (signal) this.logger.log(`${signal}: stopping; new connections are refused, the requests in flight finish`);
  }

  onApplicationShutdown(signal?: string): void {
    if (signal) this.logger.log(`Stopped (${signal})`);
  }
}
