import type { PinoLogger } from 'nestjs-pino';
import { GatewayMetrics } from '../observability/gateway-metrics';
import type { Outbox } from '../outbox/outbox';
import type { OutboxStore } from '../outbox/outbox-store';
import { eventually } from '../../test/support/eventually';
import { DeliveryWorker } from './delivery-worker';
import type { WorkflowsService } from './workflows.service';

describe('DeliveryWorker', () => {
  it('logs a round the outbox failed, instead of letting it end the process, and goes on with the next', async () => {
    let rounds = 0;
    const outbox = {
      prune: async () => 0,
      counts: async () => [],
      claimDue: async () => {
        rounds += 1;
        throw new Error('Redis is down, slow or refusing: the shared outbox cannot be used now');
      },
    } as unknown as Outbox;
    const errors: unknown[][] = [];
    const logger = { setContext: () => undefined, error: (...args: unknown[]) => void errors.push(args) } as unknown as PinoLogger;
    const worker = new DeliveryWorker({ outbox } as OutboxStore, {} as WorkflowsService, new GatewayMetrics(), logger);
    worker.onApplicationBootstrap();
    try {
      await eventually(() => rounds >= 2, 5000);
      expect(errors[0]).toEqual([{ reason: expect.stringContaining('Redis is down') }, 'Outbox round failed; its writes stay queued and are tried again']);
    } finally {
      await worker.beforeApplicationShutdown();
    }
  });
});
