import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import type { SourceError } from '../../core/source-error';
import { expectSourceError, type AnswerRow } from '../../../test/support/source-errors';
import { ScriptedServer, type ScriptedAnswer } from '../../../test/support/scripted-server';
import { crmHttpOptions } from '../connection-pool';
import { HubSpotClient } from './hubspot.client';

const CORRELATION = 'a43683b0-5717-4ceb-80b4-104d02915d8c';

/** HubSpot's error answers (crm-apis.md §2.2, §2.7) and the SourceError each becomes. */
const ANSWERS: ReadonlyArray<AnswerRow<ScriptedAnswer>> = [
  [
    'a revoked or wrong token',
    { status: 401, json: { status: 'error', message: 'Authentication credentials not found.', correlationId: CORRELATION, category: 'INVALID_AUTHENTICATION' } },
    { code: 'AUTH', vendorCode: 'INVALID_AUTHENTICATION', message: `HubSpot answered 401: Authentication credentials not found. (INVALID_AUTHENTICATION, correlation ${CORRELATION})` },
  ],
  [
    'an expired OAuth token',
    { status: 401, json: { status: 'error', message: 'The OAuth token used to make this call expired 2 hour(s) ago.', correlationId: CORRELATION, category: 'EXPIRED_AUTHENTICATION' } },
    { code: 'AUTH', vendorCode: 'EXPIRED_AUTHENTICATION' },
  ],
  [
    'a token without the scope',
    { status: 403, json: { status: 'error', message: "This app hasn't been granted all required scopes to make this call.", correlationId: CORRELATION, category: 'MISSING_SCOPES' } },
    { code: 'AUTH', vendorCode: 'MISSING_SCOPES' },
  ],
  [
    'the ten-secondly limit',
    { status: 429, json: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: CORRELATION, policyName: 'TEN_SECONDLY_ROLLING' } },
    { code: 'RATE_LIMITED', vendorCode: 'TEN_SECONDLY_ROLLING' },
  ],
  [
    'the daily limit',
    { status: 429, json: { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', correlationId: CORRELATION, policyName: 'DAILY' } },
    { code: 'RATE_LIMITED', vendorCode: 'DAILY' },
  ],
  [
    "the search's secondly limit, outside a search",
    { status: 429, json: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', correlationId: CORRELATION } },
    { code: 'RATE_LIMITED', vendorCode: undefined, message: `HubSpot answered 429: You have reached your secondly limit. (correlation ${CORRELATION})` },
  ],
  [
    'a property value refused, named in errors[].context',
    {
      status: 400,
      json: {
        status: 'error',
        message: 'Property values were not valid',
        errors: [{ message: 'Invalid integer', code: 'INVALID_INTEGER', context: { propertyName: ['discount'] } }],
        category: 'VALIDATION_ERROR',
        correlationId: CORRELATION,
      },
    },
    { code: 'BAD_REQUEST', vendorCode: 'VALIDATION_ERROR', fields: ['discount'] },
  ],
  [
    'an owner refused, named in the message',
    {
      status: 400,
      json: {
        status: 'error',
        message: 'Property values were not valid: [{"isValid":false,"message":"77 is not a valid owner id","error":"INVALID_OWNER_ID","name":"hubspot_owner_id"}]',
        correlationId: CORRELATION,
        category: 'VALIDATION_ERROR',
      },
    },
    { code: 'BAD_REQUEST', vendorCode: 'VALIDATION_ERROR', fields: ['hubspot_owner_id'] },
  ],
  [
    'an unknown record',
    { status: 404, json: { status: 'error', message: 'Object not found.  objectId are usually numeric.', correlationId: CORRELATION, category: 'OBJECT_NOT_FOUND' } },
    { code: 'BAD_REQUEST', vendorCode: 'OBJECT_NOT_FOUND', fields: [] },
  ],
  ['a locked record (423)', { status: 423, json: { status: 'error', message: 'Locked', correlationId: CORRELATION, category: 'LOCKED' } }, { code: 'BAD_REQUEST', vendorCode: 'LOCKED' }],
  [
    'an error of its own',
    { status: 500, json: { status: 'error', message: 'internal error', correlationId: CORRELATION, category: 'INTERNAL_ERROR' } },
    { code: 'UNAVAILABLE', vendorCode: 'INTERNAL_ERROR' },
  ],
  [
    "a gateway's HTML page",
    { status: 502, text: '<html><body>502 Bad Gateway</body></html>', headers: { 'Content-Type': 'text/html' } },
    { code: 'UNAVAILABLE', vendorCode: undefined, message: 'HubSpot answered 502: no message' },
  ],
  ['an empty 503', { status: 503 }, { code: 'UNAVAILABLE', message: 'HubSpot answered 503: no message' }],
  [
    'a redirect (not followed: it would take the token along)',
    { status: 302, headers: { Location: 'https://elsewhere.example/steal' } },
    { code: 'UNAVAILABLE', vendorCode: 'REDIRECT', message: 'HubSpot answered 302, a redirect: not followed' },
  ],
];

describe('HubSpotClient', () => {
  const http = new HttpService(axios.create(crmHttpOptions(4)));
  let server: ScriptedServer;
  let answer: ScriptedAnswer;

  beforeAll(async () => {
    server = await new ScriptedServer(() => answer).start();
  });
  afterAll(() => server.stop());

  const client = (): HubSpotClient => new HubSpotClient(http, server.url, 'pat-eu1-token', { portalId: '4711', appUrl: 'https://app-eu1.hubspot.com' }, 5);
  const createCall = (hubspot: HubSpotClient, deadlineAt = Date.now() + 5000): Promise<unknown> =>
    hubspot.request({ method: 'POST', path: '/crm/v3/objects/calls', body: { properties: { hs_timestamp: '2026-11-20T08:00:00Z' } } }, deadlineAt);

  it.each(ANSWERS)('turns %s into our error', async (_, given, expected) => {
    answer = given;
    await expectSourceError(client().request({ method: 'GET', path: '/crm/v3/objects/contacts/101' }, Date.now() + 5000), expected);
  });

  it('sends its token and JSON, to the path under the base URL, and answers with the body', async () => {
    answer = { status: 201, json: { id: '9001', properties: { hs_call_title: 'Call' } } };
    const created = await client().request({ method: 'POST', path: '/crm/v3/objects/calls', body: { properties: { hs_call_title: 'Call' } } }, Date.now() + 5000);
    expect(created).toEqual({ id: '9001', properties: { hs_call_title: 'Call' } });
    expect(server.received.at(-1)).toMatchObject({
      method: 'POST',
      url: '/crm/v3/objects/calls',
      headers: { authorization: 'Bearer pat-eu1-token', accept: 'application/json', 'content-type': 'application/json' },
      body: '{"properties":{"hs_call_title":"Call"}}',
    });
  });

  it('reads a property as absent on 404, and fails on any other refusal', async () => {
    answer = { status: 404, json: { status: 'error', message: 'Unable to find property', category: 'OBJECT_NOT_FOUND' } };
    await expect(client().hasProperty('companies', 'hs_searchable_calculated_phone_number', Date.now() + 5000)).resolves.toBe(false);
    answer = { status: 200, json: { name: 'hs_searchable_calculated_phone_number' } };
    await expect(client().hasProperty('companies', 'hs_searchable_calculated_phone_number', Date.now() + 5000)).resolves.toBe(true);
    answer = ANSWERS[0]![1];
    await expect(client().hasProperty('companies', 'hs_searchable_calculated_phone_number', Date.now() + 5000)).rejects.toMatchObject({ code: 'AUTH' });
  });

  it('fails with TIMEOUT when HubSpot does not answer by the deadline, and without sending when no time is left', async () => {
    const silent = await new ScriptedServer(() => 'silence').start();
    try {
      const slow = new HubSpotClient(http, silent.url, 'pat-eu1-token', {}, 5);
      await expect(slow.request({ method: 'GET', path: '/crm/v3/objects/contacts/101' }, Date.now() + 100)).rejects.toMatchObject({ code: 'TIMEOUT', message: 'HubSpot did not answer in time' });
      await expect(slow.request({ method: 'GET', path: '/x' }, Date.now() - 1)).rejects.toMatchObject({ code: 'TIMEOUT', message: 'no time left before the deadline' });
    } finally {
      await silent.stop();
    }
  });

  it('fails with UNAVAILABLE, naming the cause, when nothing listens', async () => {
    const closed = await new ScriptedServer(() => ({ status: 200 })).start();
    const url = closed.url;
    await closed.stop();
    await expect(new HubSpotClient(http, url, 'pat-eu1-token', {}, 5).request({ method: 'GET', path: '/x' }, Date.now() + 2000)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'cannot reach HubSpot (ECONNREFUSED)',
    });
  });
  describe('whether a write may be sent again', () => {
    const refused = (status: number, headers?: Record<string, string>): ScriptedAnswer => ({
      status,
      json: { status: 'error', message: 'refused', correlationId: CORRELATION, category: 'RATE_LIMIT' },
      headers,
    });

    it.each<[string, ScriptedAnswer, Partial<SourceError>]>([
      ['429 with Retry-After: 3', refused(429, { 'Retry-After': '3' }), { code: 'RATE_LIMITED', retryAfterMs: 3000, mayHaveWritten: false }],
      ['503 with an unreadable Retry-After', refused(503, { 'Retry-After': 'in a while' }), { code: 'UNAVAILABLE', retryAfterMs: undefined, mayHaveWritten: false }],
      ['429 without Retry-After', refused(429), { code: 'RATE_LIMITED', retryAfterMs: undefined, mayHaveWritten: false }],
      ['400', refused(400), { code: 'BAD_REQUEST', retryAfterMs: undefined, mayHaveWritten: false }],
      ['500', refused(500), { code: 'UNAVAILABLE', mayHaveWritten: false }],
      ["504, a gateway's time-out (HubSpot may have written)", { status: 504, text: '<html>504 Gateway Time-out</html>', headers: { 'Content-Type': 'text/html' } }, { code: 'UNAVAILABLE', mayHaveWritten: true }],
    ])('%s', async (_, given, expected) => {
      answer = given;
      await expectSourceError(createCall(client()), expected);
    });

    it('reads an HTTP date in Retry-After as the time left until it', async () => {
      answer = refused(503, { 'Retry-After': new Date(Date.now() + 60_000).toUTCString() });
      const failure = await createCall(client()).catch((error: unknown) => error);
      expect((failure as SourceError).retryAfterMs).toBeGreaterThan(55_000);
      expect((failure as SourceError).retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it('says nothing was written when the connection is refused', async () => {
      const closed = await new ScriptedServer(() => ({ status: 200 })).start();
      const url = closed.url;
      await closed.stop();
      await expectSourceError(createCall(new HubSpotClient(http, url, 'pat-eu1-token', {}, 5)), { code: 'UNAVAILABLE', message: 'cannot reach HubSpot (ECONNREFUSED)', mayHaveWritten: false });
    });

    it('says the write may have been carried out when HubSpot read the request and then cut the connection', async () => {
      const cutting = await new ScriptedServer(() => 'cut').start();
      try {
        const url = cutting.url;
        await expectSourceError(createCall(new HubSpotClient(http, url, 'pat-eu1-token', {}, 5)), { code: 'UNAVAILABLE', message: 'cannot reach HubSpot (ECONNRESET)', mayHaveWritten: true });
        expect(cutting.received).toHaveLength(1);
      } finally {
        await cutting.stop();
      }
    });

    it('says the write may have been carried out when it timed out after it was sent, and not when no time was left to send it', async () => {
      const silent = await new ScriptedServer(() => 'silence').start();
      try {
        const slow = new HubSpotClient(http, silent.url, 'pat-eu1-token', {}, 5);
        await expectSourceError(createCall(slow, Date.now() + 100), { code: 'TIMEOUT', message: 'HubSpot did not answer in time', mayHaveWritten: true });
        expect(silent.received).toHaveLength(1);
        await expectSourceError(createCall(slow, Date.now() - 1), { code: 'TIMEOUT', message: 'no time left before the deadline', mayHaveWritten: false });
        expect(silent.received).toHaveLength(1);
      } finally {
        await silent.stop();
      }
    });

    it('says nothing was written when the write timed out waiting for a connection of the pool', async () => {
      const silent = await new ScriptedServer(() => 'silence').start();
      const hubspot = new HubSpotClient(new HttpService(axios.create(crmHttpOptions(1))), silent.url, 'pat-eu1-token', {}, 5);
      const holding = createCall(hubspot, Date.now() + 2000).catch(() => undefined);
      try {
        await expectSourceError(createCall(hubspot, Date.now() + 150), { code: 'TIMEOUT', mayHaveWritten: false });
        expect(silent.received).toHaveLength(1);
      } finally {
        await silent.stop();
        await holding;
      }
    });
  });
});
