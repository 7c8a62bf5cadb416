import { Logger } from '@nestjs/common';
import type { ResolvedGlobalSettings } from '../../src/config/global-settings';
import { GatewayMetrics } from '../../src/observability/gateway-metrics';
import { RedisConnection } from '../../src/shared-state/redis-connection';
import { RedisServer } from './redis-server';

/**
 * A real Redis for one spec file (started in `beforeAll`, its Nest logs silenced) and the gateway's own
 * connections to it, each as a replica would open it, all closed with the server in `afterAll`.
 */
export function redisForSpec(options: { durable?: boolean } = {}): { server: () => RedisServer; connect: (prefix: string) => Promise<RedisConnection> } {
  let server: RedisServer | undefined;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    server = await RedisServer.start(options);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.onApplicationShutdown()));
    await server?.dispose();
    jest.restoreAllMocks();
  });
  return {
    server: () => server!,
    connect: async (prefix) => {
      const settings = { REDIS_URL: server!.url, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: 50 } as ResolvedGlobalSettings;
      const connection = new RedisConnection(settings, new GatewayMetrics());
      connections.push(connection);
      await connection.onModuleInit();
      return connection;
    },
  };
}
