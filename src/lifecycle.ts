import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/** The signals that stop the gateway; `SIGHUP` reloads the tenants folder instead (see `main.ts`). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'];
/** While stopping, connections whose request was answered are closed this often. */
const CLOSE_IDLE_EVERY_MS = 100;

/**
 * A stop that drains: requests in flight are answered, then their connections closed. Node's
 * `server.close()` closes only the connections idle at that moment; one whose answer comes later would
 * stay open for the keep-alive time (65 s), and the stop with it. One line says a signal is stopping the
 * gateway, one that it stopped.
 */
@Injectable()
export class GracefulStop implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private closingIdle: NodeJS.Timeout | undefined;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  beforeApplicationShutdown(signal?: string): void {
    if (signal) this.logger.log(`${signal}: stopping; new connections are refused, the requests in flight finish`);
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) this.closingIdle = setInterval(() => server.closeIdleConnections(), CLOSE_IDLE_EVERY_MS).unref();
  }

  onApplicationShutdown(signal?: string): void {
    clearInterval(this.closingIdle);
    if (signal) this.logger.log(`Stopped (${signal})`);
  }
}
