// jsforce's main entry loads eight APIs the gateway never calls (about 9 MB resident): the client must
// be built from its core alone.
jest.mock('jsforce', () => {
  throw new Error("the whole of jsforce was loaded: import from 'jsforce/lib/core'");
});

import { Logger } from '@nestjs/common';
import type { SourceError } from '../../core/source-error';
import { expectSourceError, type AnswerRow } from '../../../test/support/source-errors';
import { ScriptedServer, type ScriptedAnswer } from '../../../test/support/scripted-server';
import { SalesforceClient } from './salesforce.client';

const restError = (status: number, errorCode: string, message: string, fields?: string[]): ScriptedAnswer => ({
  status,
  json: [{ message, errorCode, ...(fields ? { fields } : {}) }],
});

/** Salesforce's REST error answers (crm-apis.md §1.3.3, §1.6) and the SourceError each becomes. */
const ANSWERS: ReadonlyArray<AnswerRow<ScriptedAnswer>> = [
  [
    'a fixed token that expired',
    restError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
    { code: 'AUTH', vendorCode: 'INVALID_SESSION_ID', message: 'INVALID_SESSION_ID: Session expired or invalid' },
  ],
  ["the org's daily API limit (a 403, not a 429)", restError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), { code: 'RATE_LIMITED', vendorCode: 'REQUEST_LIMIT_EXCEEDED' }],
  ['an API the org has not enabled', restError(403, 'API_DISABLED_FOR_ORG', 'API is not enabled for this Organization or Partner'), { code: 'CONFIG', vendorCode: 'API_DISABLED_FOR_ORG' }],
  ['a user without access', restError(403, 'INSUFFICIENT_ACCESS', 'insufficient access rights on object id'), { code: 'CONFIG', vendorCode: 'INSUFFICIENT_ACCESS' }],
  ['a field hidden by field-level security', restError(400, 'INVALID_FIELD', "No such column 'MobilePhone' on entity 'Lead'."), { code: 'CONFIG', vendorCode: 'INVALID_FIELD' }],
  ['an object the org lacks', restError(400, 'INVALID_TYPE', "sObject type 'Lead' is not supported."), { code: 'CONFIG', vendorCode: 'INVALID_TYPE' }],
  ['a malformed query', restError(400, 'MALFORMED_QUERY', 'unexpected token: FROM'), { code: 'CONFIG', vendorCode: 'MALFORMED_QUERY' }],
  ['a malformed search', restError(400, 'MALFORMED_SEARCH', 'No search term found.'), { code: 'CONFIG', vendorCode: 'MALFORMED_SEARCH' }],
  ['a search term too short', restError(400, 'INVALID_SEARCH', 'search term must be longer than one character'), { code: 'CONFIG', vendorCode: 'INVALID_SEARCH' }],
  [
    'a required field missing, named',
    restError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [LastName]', ['LastName']),
    { code: 'BAD_REQUEST', vendorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] },
  ],
  [
    'an owner that is no user, named',
    restError(400, 'FIELD_INTEGRITY_EXCEPTION', 'Assigned To ID: owner cannot be inactive user', ['OwnerId']),
    { code: 'BAD_REQUEST', vendorCode: 'FIELD_INTEGRITY_EXCEPTION', fields: ['OwnerId'] },
  ],
  ['an unknown record', restError(404, 'NOT_FOUND', 'The requested resource does not exist'), { code: 'BAD_REQUEST', vendorCode: 'NOT_FOUND', fields: [] }],
  [
    'several errors at once',
    { status: 400, json: [{ message: 'a', errorCode: 'INVALID_FIELD' }, { message: 'b', errorCode: 'REQUIRED_FIELD_MISSING' }] },
    { code: 'BAD_REQUEST', vendorCode: 'MULTIPLE_API_ERRORS' },
  ],
  ['too many requests at once', restError(503, 'SERVER_UNAVAILABLE', 'Server Unavailable'), { code: 'UNAVAILABLE', vendorCode: 'SERVER_UNAVAILABLE' }],
  ["a gateway's HTML page", { status: 502, text: '<html><body>Bad Gateway</body></html>', headers: { 'Content-Type': 'text/html' } }, { code: 'UNAVAILABLE', vendorCode: 'ERROR_HTTP_502' }],
  ['an error page of its own', { status: 500, text: 'Internal Server Error', headers: { 'Content-Type': 'text/plain' } }, { code: 'UNAVAILABLE', vendorCode: 'ERROR_HTTP_500' }],
  [
    'a redirect (not followed: it would take the token along)',
    { status: 302, headers: { Location: 'https://elsewhere.example/steal?token=1' } },
    { code: 'UNAVAILABLE', vendorCode: 'REDIRECT', message: 'Salesforce answered 302, a redirect to https://elsewhere.example: not followed' },
  ],
];

/** Salesforce's answers to a token request (crm-apis.md §1.2.2: OAuth errors, not the REST array), and the SourceError each becomes. */
const TOKEN_ANSWERS: ReadonlyArray<AnswerRow<ScriptedAnswer>> = [
  ['an unknown client', { status: 400, json: { error: 'invalid_client_id', error_description: 'client identifier invalid' } }, { code: 'AUTH', vendorCode: 'invalid_client_id' }],
  ['a wrong client secret', { status: 400, json: { error: 'invalid_client', error_description: 'invalid client credentials' } }, { code: 'AUTH', vendorCode: 'invalid_client' }],
  ['refused credentials', { status: 400, json: { error: 'invalid_grant', error_description: 'authentication failure' } }, { code: 'AUTH', vendorCode: 'invalid_grant' }],
  ['a flow the app does not allow', { status: 400, json: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } }, { code: 'AUTH', vendorCode: 'unsupported_grant_type' }],
  ['an inactive user', { status: 400, json: { error: 'inactive_user', error_description: 'user is inactive' } }, { code: 'AUTH', vendorCode: 'inactive_user' }],
  ['an error page of its own', { status: 503, text: 'Service Unavailable', headers: { 'Content-Type': 'text/plain' } }, { code: 'UNAVAILABLE', vendorCode: 'ERROR_HTTP_503' }],
];

describe('SalesforceClient', () => {
  let server: ScriptedServer;
  let answer: ScriptedAnswer;
  // Refused credentials are logged for the admin (once a minute); here they are only counted.
  const loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

  beforeAll(async () => {
    server = await new ScriptedServer(() => answer).start();
  });
  afterAll(async () => {
    loggedErrors.mockRestore();
    await server.stop();
  });

  const fixedToken = (): SalesforceClient => new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: server.url, accessToken: '00DXX!token' }, '62.0');

  it("is built from jsforce's core, without the APIs a lookup never uses", () => {
    const client = new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: 'https://acme.my.salesforce.com', accessToken: 'token' }, '62.0');
    expect(client.instanceUrl).toBe('https://acme.my.salesforce.com');
  });

  it.each(ANSWERS)('turns %s into our error', async (_, given, expected) => {
    answer = given;
    const search = `/search?q=${encodeURIComponent('FIND {789072228} IN PHONE FIELDS RETURNING Contact(Id)')}`;
    await expectSourceError(fixedToken().request({ method: 'GET', url: search }, Date.now() + 5000), expected);
  });

  it.each(TOKEN_ANSWERS)('turns %s at the token endpoint into our error', async (_, given, expected) => {
    answer = given;
    const client = new SalesforceClient('acme', { kind: 'client-credentials', loginUrl: server.url, clientId: 'id', clientSecret: 'secret' }, '62.0');
    await expectSourceError(client.connect(5000), expected);
  });

  it('sends its token and a JSON body to the REST path of its version, and answers with the body', async () => {
    answer = { status: 201, json: { id: '00T000000000001AAA', success: true, errors: [] } };
    const created = await fixedToken().request({ method: 'POST', url: '/sobjects/Task', body: '{"Subject":"Call"}' }, Date.now() + 5000);
    expect(created).toEqual({ id: '00T000000000001AAA', success: true, errors: [] });
    expect(server.received.at(-1)).toMatchObject({
      method: 'POST',
      url: '/services/data/v62.0/sobjects/Task',
      headers: { authorization: 'Bearer 00DXX!token', 'content-type': 'application/json' },
      body: '{"Subject":"Call"}',
    });
  });
  describe('whether a write may be sent again', () => {
    const createTask = (client: SalesforceClient, deadlineAt = Date.now() + 5000): Promise<unknown> =>
      client.request({ method: 'POST', url: '/sobjects/Task', body: '{"Subject":"Call"}' }, deadlineAt);

    it.each<[string, ScriptedAnswer, Partial<SourceError>]>([
      [
        '429 with Retry-After: 3 (from something in front of Salesforce)',
        { status: 429, text: 'Too Many Requests', headers: { 'Content-Type': 'text/plain', 'Retry-After': '3' } },
        { code: 'RATE_LIMITED', vendorCode: 'ERROR_HTTP_429', retryAfterMs: 3000, mayHaveWritten: false },
      ],
      [
        "503 in Salesforce's words, with Retry-After: 3 (the status and header are not on jsforce's error)",
        { ...restError(503, 'SERVER_UNAVAILABLE', 'Server Unavailable'), headers: { 'Retry-After': '3' } },
        { code: 'UNAVAILABLE', vendorCode: 'SERVER_UNAVAILABLE', retryAfterMs: 3000, mayHaveWritten: false },
      ],
      ['503 with an unreadable Retry-After', { ...restError(503, 'SERVER_UNAVAILABLE', 'Server Unavailable'), headers: { 'Retry-After': 'later' } }, { retryAfterMs: undefined, mayHaveWritten: false }],
      ["the org's daily limit, without Retry-After", restError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), { code: 'RATE_LIMITED', retryAfterMs: undefined, mayHaveWritten: false }],
      ['400', restError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [Subject]'), { code: 'BAD_REQUEST', retryAfterMs: undefined, mayHaveWritten: false }],
      ['500', { status: 500, text: 'Internal Server Error', headers: { 'Content-Type': 'text/plain' } }, { code: 'UNAVAILABLE', mayHaveWritten: false }],
      [
        "504, a gateway's time-out page (Salesforce may have written)",
        { status: 504, text: '<html>504 Gateway Time-out</html>', headers: { 'Content-Type': 'text/html' } },
        { code: 'UNAVAILABLE', vendorCode: 'ERROR_HTTP_504', mayHaveWritten: true },
      ],
      ['504 with a JSON error body (known by its status alone)', restError(504, 'GATEWAY_TIMEOUT', 'upstream timed out'), { vendorCode: 'GATEWAY_TIMEOUT', mayHaveWritten: true }],
    ])('%s', async (_, given, expected) => {
      answer = given;
      await expectSourceError(createTask(fixedToken()), expected);
    });

    it('says nothing was written when the connection is refused', async () => {
      const closed = await new ScriptedServer(() => ({ status: 200 })).start();
      const url = closed.url;
      await closed.stop();
      const client = new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: url, accessToken: '00DXX!token' }, '62.0');
      await expectSourceError(createTask(client), { code: 'UNAVAILABLE', message: 'cannot reach Salesforce (ECONNREFUSED)', mayHaveWritten: false });
    });

    it('says the write may have been carried out when Salesforce read the request and then cut the connection', async () => {
      const cutting = await new ScriptedServer(() => 'cut').start();
      try {
        const url = cutting.url;
        const client = new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: url, accessToken: '00DXX!token' }, '62.0');
        await expectSourceError(createTask(client), { code: 'UNAVAILABLE', message: 'cannot reach Salesforce (ECONNRESET)', mayHaveWritten: true });
        expect(cutting.received).toHaveLength(1);
      } finally {
        await cutting.stop();
      }
    });

    it('says the write may have been carried out when it timed out after it was sent, and not when no time was left to send it', async () => {
      const silent = await new ScriptedServer(() => 'silence').start();
      try {
        const client = new SalesforceClient('acme', { kind: 'fixed-token', instanceUrl: silent.url, accessToken: '00DXX!token' }, '62.0');
        await expectSourceError(createTask(client, Date.now() + 100), { code: 'TIMEOUT', message: 'Salesforce did not answer in time', mayHaveWritten: true });
        expect(silent.received).toHaveLength(1);
        await expectSourceError(createTask(client, Date.now() - 1), { code: 'TIMEOUT', message: 'no time left before the deadline', mayHaveWritten: false });
        expect(silent.received).toHaveLength(1);
      } finally {
        await silent.stop();
      }
    });
  });
});
