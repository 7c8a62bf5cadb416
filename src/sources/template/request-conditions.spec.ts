import { SourceError } from '../../core/source-error';
import { answerFailure, isRequestOn } from './request-conditions';
import { mapAnswer } from './response-mapping';
import { loadTemplateText, TemplateError } from './template-loader';

/** Two requests, one per API, chosen by the tenant's DEMO_API; the second answers errors with HTTP 200. */
const TWO_APIS = `id: demo
name: Demo CRM
prefix: DEMO
badge: { letters: DC, color: "#336699" }
baseUrl: https://crm.example.ch/
parameters:
  - name: API
    default: rest
auth:
  type: none
requests:
  - name: rest
    method: GET
    path: /contacts
    when: { param: API, equals: rest }
    response: &contact
      records: "$[*]"
      objectType: contact
      idPattern: "^[0-9]+$"
      id: "$.id"
      kind: person
      name: "$.name"
      phones: "$.phone"
  - name: rpc
    method: POST
    path: /rpc
    body: { method: call }
    when: { param: API, equals: rpc }
    failure:
      path: "$.error"
      message: "$.error.data.message"
      vendorCode: "$.error.data.name"
      auth: [exceptions.AccessDenied]
    response: *contact
`;

describe('conditional requests and errors answered with 200', () => {
  const loaded = loadTemplateText(TWO_APIS, 'demo.yaml');
  const [rest, rpc] = loaded.requests.map((r) => r.request);

  it('sends a request with `when` only when the parameter holds the value', () => {
    expect(isRequestOn(rest!, () => 'rest')).toBe(true);
    expect(isRequestOn(rpc!, () => 'rest')).toBe(false);
    expect(isRequestOn(rpc!, () => 'rpc')).toBe(true);
    expect(isRequestOn(rpc!, () => undefined)).toBe(false);
    expect(isRequestOn(rpc!, () => 'RPC')).toBe(false);
  });

  it('refuses a `when` naming a parameter that is not declared, and scripts in failure paths', () => {
    expect(() => loadTemplateText(TWO_APIS.replace('{ param: API, equals: rpc }', '{ param: APX, equals: rpc }'), 'demo.yaml')).toThrow(TemplateError);
    expect(() => loadTemplateText(TWO_APIS.replace('{ param: API, equals: rpc }', '{ param: API, equals: rpc, or: x }'), 'demo.yaml')).toThrow('unknown key');
    expect(() => loadTemplateText(TWO_APIS.replace('"$.error.data.name"', '"$.error[?(@.x)]"'), 'demo.yaml')).toThrow('failure.vendorCode');
  });

  it('turns a 200 answer holding an error into a failure: AUTH for the codes listed, UNAVAILABLE otherwise', () => {
    const denied = answerFailure(rpc!, 'Demo', { jsonrpc: '2.0', id: 1, error: { code: 200, message: 'Odoo Server Error', data: { name: 'exceptions.AccessDenied', message: 'Access Denied' } } });
    expect(denied).toBeInstanceOf(SourceError);
    expect(denied).toMatchObject({ code: 'AUTH', vendorCode: 'exceptions.AccessDenied', message: 'Demo answered with an error: Access Denied' });
    const other = answerFailure(rpc!, 'Demo', { error: { data: { name: 'builtins.ValueError', message: 'Invalid field' } } });
    expect(other).toMatchObject({ code: 'UNAVAILABLE', vendorCode: 'builtins.ValueError' });
    expect(answerFailure(rpc!, 'Demo', { jsonrpc: '2.0', id: 1, result: [] })).toBeUndefined();
    expect(answerFailure(rpc!, 'Demo', { error: null, result: [] })).toBeUndefined();
    expect(answerFailure(rpc!, 'Demo', undefined)).toBeUndefined();
    // A request without `failure` reads every 2xx answer as records.
    expect(answerFailure(rest!, 'Demo', { error: { message: 'x' } })).toBeUndefined();
  });

  it("reads Odoo's `false` (an empty field) as no value, and `true` as true", () => {
    const mapping = { ...rest!.response, company: '$.parent_id[1]', phones: ['$.phone', '$.mobile'], kind: { path: '$.is_company', company: ['true'] }, customData: { Email: '$.email' } };
    const answer = [
      { id: 1, name: 'Anna', is_company: false, parent_id: false, phone: '044 668 18 00', mobile: false, email: false },
      { id: 2, name: 'Firm AG', is_company: true, parent_id: false, phone: false, mobile: '+41 44 668 18 00', email: 'info@firm.ch' },
      { id: 3, name: 'Beat', is_company: false, parent_id: [2, 'Firm AG'], phone: false, mobile: false },
    ];
    const { candidates, notes } = mapAnswer(answer, mapping, /^[0-9]+$/, { sourceId: 'demo', link: () => undefined });
    expect(candidates.map((c) => [c.name, c.kind, c.company, c.phones, c.customData])).toEqual([
      ['Anna', 'person', undefined, ['044 668 18 00'], {}],
      ['Firm AG', 'company', undefined, ['+41 44 668 18 00'], { Email: 'info@firm.ch' }],
    ]);
    expect(notes).toEqual(['1 record(s) left out: no phone value to verify']);
  });
});
