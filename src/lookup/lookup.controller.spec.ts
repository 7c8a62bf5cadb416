import { factory } from '../../test/support/factory';
import type { LoggedRequest } from '../logging/request-log';
import { LookupController } from './lookup.controller';
import type { LookupService } from './lookup.service';

describe('LookupController', () => {
  it("hands the lookup the request's id and arrival time, so the deadline counts from the arrival", async () => {
    const lookup = jest.fn(async () => ({ cards: [], summary: { results: 0, sources: {} } }));
    const controller = new LookupController({ lookup } as unknown as LookupService);
    const request = { id: 'call-7', receivedAt: 1234.5 } as unknown as LoggedRequest;
    const tenant = factory.tenant();
    await controller.lookupByGet(tenant, { PhoneNumber: '41789072228' }, undefined, request);
    expect(lookup).toHaveBeenCalledWith(tenant, '41789072228', { reqId: 'call-7', receivedAt: 1234.5 });
  });
});
