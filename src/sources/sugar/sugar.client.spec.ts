import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import axios from 'axios';
import { expectSourceError, type AnswerRow } from '../../../test/support/source-errors';
import { ScriptedServer, type ReceivedRequest, type ScriptedAnswer } from '../../../test/support/scripted-server';
import { crmHttpOptions } from '../connection-pool';
import { SugarClient } from './sugar.client';
import { SugarSettings } from './sugar.settings';

const TOKENS = {
  access_token: '802b64c0-5eac-8431-a541-5342d38ac527',
  expires_in: 3600,
  token_type: 'bearer',
  scope: null,
  refresh_token: '85053198-24b1-4521-b1a1-5342d382e0b7',
  refresh_expires_in: 1209600,
  download_token: '8c9b5461-0d95-8d87-6084-5342d357b39e',
};
const sugarError = (status: number, error: string, error_message: string): ScriptedAnswer => ({ status, json: { error, error_message } });

/** Sugar's error answers (crm-apis.md §3.1, §3.2.4, §3.3) to an API request, and the SourceError each becomes. */
const ANSWERS: ReadonlyArray<AnswerRow<ScriptedAnswer>> = [
  ['no valid token, even after signing in again', sugarError(401, 'need_login', 'No valid authentication for user.'), { code: 'AUTH', vendorCode: 'need_login' }],
  [
    'an expired token, even after a refresh',
    sugarError(401, 'invalid_grant', 'The access token provided has expired.'),
    { code: 'AUTH', vendorCode: 'invalid_grant', message: 'Sugar answered 401 invalid_grant: The access token provided has expired.' },
  ],
  ['a module the user may not read', sugarError(403, 'not_authorized', 'No access to view records for module: Contacts'), { code: 'AUTH', vendorCode: 'not_authorized' }],
  ['a module an admin disabled (403: the status decides)', sugarError(403, 'module_disabled', 'Module is disabled'), { code: 'AUTH', vendorCode: 'module_disabled' }],
  [
    'an API version the instance does not offer (a 301 that is no redirect)',
    sugarError(301, 'incorrect_version', 'Please change your requested API version to value between 10 and 11.23.'),
    { code: 'CONFIG', vendorCode: 'incorrect_version', message: 'Sugar answered 301 incorrect_version: Please change your requested API version to value between 10 and 11.23.' },
  ],
  ['an unknown route', sugarError(404, 'no_method', 'Could not find a route with 1 elements'), { code: 'BAD_REQUEST', vendorCode: 'no_method' }],
  ['an unknown record', sugarError(404, 'not_found', 'Could not find record: c-gone in module: Contacts'), { code: 'BAD_REQUEST', vendorCode: 'not_found' }],
  ['an edit conflict', sugarError(409, 'edit_conflict', 'Edit conflict'), { code: 'BAD_REQUEST', vendorCode: 'edit_conflict' }],
  ['outdated metadata', { status: 412, json: { error: 'metadata_out_of_date', error_message: 'Your metadata is out of date', metadata_hash: 'x', user_hash: 'y' } }, { code: 'BAD_REQUEST', vendorCode: 'metadata_out_of_date' }],
  [
    'a missing field',
    sugarError(422, 'missing_parameter', 'Missing parameter: date_start'),
    { code: 'BAD_REQUEST', vendorCode: 'missing_parameter', message: 'Sugar answered 422 missing_parameter: Missing parameter: date_start', retryAfterMs: undefined, mayHaveWritten: false },
  ],
  ['a field an admin disabled', sugarError(422, 'field_disabled', 'Field is disabled: phone_home'), { code: 'CONFIG', vendorCode: 'field_disabled' }],
  ['a limit at the edge of Sugar Cloud', { status: 429, text: 'Too Many Requests', headers: { 'Content-Type': 'text/plain' } }, { code: 'RATE_LIMITED', vendorCode: undefined, message: 'Sugar answered 429: no message' }],
  [
    'a limit at the edge, with Retry-After: 3',
    { status: 429, text: 'Too Many Requests', headers: { 'Content-Type': 'text/plain', 'Retry-After': '3' } },
    { code: 'RATE_LIMITED', retryAfterMs: 3000, mayHaveWritten: false },
  ],
  ['a fatal error', sugarError(500, 'fatal_error', 'Something went wrong'), { code: 'UNAVAILABLE', vendorCode: 'fatal_error' }],
  ['a database error', sugarError(500, 'db_error', 'Database failure. Please refer to sugarcrm.log for details.'), { code: 'UNAVAILABLE', vendorCode: 'db_error' }],
  ['maintenance', sugarError(503, 'maintenance', 'The system is down for maintenance'), { code: 'UNAVAILABLE', vendorCode: 'maintenance', retryAfterMs: undefined }],
  [
    'maintenance, with Retry-After: 3',
    { status: 503, json: { error: 'maintenance', error_message: 'The system is down for maintenance' }, headers: { 'Retry-After': '3' } },
    { code: 'UNAVAILABLE', vendorCode: 'maintenance', retryAfterMs: 3000, mayHaveWritten: false },
  ],
  [
    "a gateway's time-out in front of Sugar (504: Sugar may have carried it out)",
    { status: 504, text: '<html>504 Gateway Time-out</html>', headers: { 'Content-Type': 'text/html' } },
    { code: 'UNAVAILABLE', mayHaveWritten: true },
  ],
  ['no Elasticsearch', sugarError(503, 'search_unavailable', 'Search service unavailable'), { code: 'UNAVAILABLE', vendorCode: 'search_unavailable' }],
  [
    'a redirect (not followed: it would take the token along)',
    { status: 302, headers: { Location: 'https://elsewhere.example/' } },
    { code: 'UNAVAILABLE', vendorCode: 'REDIRECT', message: 'Sugar answered 302, a redirect: not followed' },
  ],
];

/** Sugar's answers to a login (`POST /oauth2/token`, grant `password`), and the SourceError each becomes. */
const LOGIN_ANSWERS: ReadonlyArray<AnswerRow<ScriptedAnswer>> = [
  [
    'a wrong username or password',
    sugarError(401, 'need_login', 'You must specify a valid username and password.'),
    { code: 'CONFIG', vendorCode: 'need_login', message: 'Sugar refused the login of SUGAR_USERNAME (Sugar answered 401 need_login: You must specify a valid username and password.)' },
  ],
  ['an unregistered platform', sugarError(422, 'invalid_parameter', 'The platform phone_gateway is not allowed'), { code: 'BAD_REQUEST', vendorCode: 'invalid_parameter' }],
  ['an error of its own', sugarError(500, 'fatal_error', 'Something went wrong'), { code: 'UNAVAILABLE', vendorCode: 'fatal_error' }],
];

describe('SugarClient', () => {
  const http = new HttpService(axios.create(crmHttpOptions(4)));
  let server: ScriptedServer;
  let login: ScriptedAnswer;
  let answer: ScriptedAnswer;

  // A refused login is logged for the admin (once a minute); here it is only counted.
  const loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

  beforeAll(async () => {
    server = await new ScriptedServer((request: ReceivedRequest) => (request.url.endsWith('/oauth2/token') ? login : answer)).start();
  });
  beforeEach(() => (login = { status: 200, json: TOKENS }));
  afterAll(async () => {
    loggedErrors.mockRestore();
    await server.stop();
  });

  const client = (): SugarClient =>
    new SugarClient(http, 'acme', Object.assign(new SugarSettings(), { SUGAR_URL: server.url, SUGAR_USERNAME: 'gateway', SUGAR_PASSWORD: 'secret', SUGAR_PLATFORM: 'phone_gateway' }));
  const read = (sugar: SugarClient): Promise<unknown> => sugar.request({ method: 'GET', path: '/Contacts/c-anna', params: { fields: 'account_id' } }, Date.now() + 5000);

  it.each(ANSWERS)('turns %s into our error', async (_, given, expected) => {
    answer = given;
    await expectSourceError(read(client()), expected);
  });

  it.each(LOGIN_ANSWERS)('turns %s at login into our error', async (_, given, expected) => {
    login = given;
    loggedErrors.mockClear();
    await expectSourceError(client().connect(Date.now() + 5000), expected);
    expect(loggedErrors).toHaveBeenCalledTimes(expected.vendorCode === 'need_login' ? 1 : 0);
  });

  it('logs in with JSON, then sends its token and the parameters to the path under /rest/<version>', async () => {
    answer = { status: 200, json: { id: 'c-anna', account_id: 'acc-muster' } };
    const start = server.received.length;
    await expect(read(client())).resolves.toEqual({ id: 'c-anna', account_id: 'acc-muster' });
    const [token, request] = server.received.slice(start);
    expect(token).toMatchObject({ method: 'POST', url: '/rest/v11/oauth2/token', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(token!.body!)).toEqual({ grant_type: 'password', username: 'gateway', password: 'secret', client_id: 'sugar', client_secret: '', platform: 'phone_gateway' });
    expect(request).toMatchObject({ method: 'GET', url: '/rest/v11/Contacts/c-anna?fields=account_id', headers: { 'oauth-token': TOKENS.access_token } });
  });
});
