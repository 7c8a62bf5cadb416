// jsforce's main entry loads eight APIs the gateway never calls (about 9 MB resident): the client must
// be built from its core alone.
jest.mock('jsforce', () => {
  throw new Error("the whole of jsforce was loaded: import from 'jsforce/lib/core'");
});

import { SalesforceClient } from './salesforce.client';

describe('SalesforceClient', () => {
  it("is built from jsforce's core, without the APIs a lookup never uses", () => {
    const client = new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: 'https://acme.my.salesforce.com', accessToken: 'token' }, '62.0');
    expect(client.instanceUrl).toBe('https://acme.my.salesforce.com');
  });
});
