import { validateSettings } from '../../config/settings-validation';
import { parseTenantFile } from '../../tenants/tenant-file';
import { SalesforceSettings } from './salesforce.settings';
import { SalesforceSource } from './salesforce.source';

const CREDENTIALS = ['SALESFORCE_LOGIN_URL=https://acme.my.salesforce.com', 'SALESFORCE_CLIENT_ID=client-id', 'SALESFORCE_CLIENT_SECRET=client-secret'];
const CASE_KEY_MESSAGE = 'must be the API name of a custom Text field on Case, ending in __c, e.g. Call_Key__c';

describe('SALESFORCE_CASE_KEY_FIELD', () => {
  it('is unset by default: Cases carry no key', () => {
    const { settings, problems } = validateSettings(SalesforceSettings, {});
    expect(problems).toEqual([]);
    expect(settings.SALESFORCE_CASE_KEY_FIELD).toBeUndefined();
  });

  it.each(['Call_Key__c', 'CallKey__c', 'pf__Call_Key__c', 'K2__c'])('takes the custom field API name %s', (name) => {
    const { settings, problems } = validateSettings(SalesforceSettings, { SALESFORCE_CASE_KEY_FIELD: ` ${name} ` });
    expect(problems).toEqual([]);
    expect(settings.SALESFORCE_CASE_KEY_FIELD).toBe(name);
  });

  it.each([
    ['a standard field', 'CallObject'],
    ['a label with spaces', 'Call Key'],
    ['a name without the __c suffix', 'Call_Key'],
    ['a relationship path', 'Account.Call_Key__c'],
    ['a name that starts with a digit', '1Call_Key__c'],
    ['a name that starts with _', '_Call_Key__c'],
    ['a custom object suffix', 'Call_Key__r'],
    ['a quote that would change the query', "Call_Key__c = 'x' OR Id != ''"],
  ])('refuses %s, naming the setting', (_what, value) => {
    const { problems } = validateSettings(SalesforceSettings, { SALESFORCE_CASE_KEY_FIELD: value });
    expect(problems).toEqual([{ key: `SALESFORCE_CASE_KEY_FIELD=${JSON.stringify(value)}`, problem: CASE_KEY_MESSAGE }]);
  });

  it('is a key tenant files know, and a wrong value stops the file with the key named', () => {
    const sources = [new SalesforceSource()];
    const good = parseTenantFile('acme', '/t/acme.env', ['TOKEN=secret-token-1', ...CREDENTIALS, 'SALESFORCE_CASE_KEY_FIELD=Call_Key__c', ''].join('\n'), sources);
    expect(good.problems).toEqual([]);
    expect(good.tenant!.sources[0]!.settings).toMatchObject({ SALESFORCE_CASE_KEY_FIELD: 'Call_Key__c' });

    const bad = parseTenantFile('acme', '/t/acme.env', ['TOKEN=secret-token-1', ...CREDENTIALS, 'SALESFORCE_CASE_KEY_FIELD=Call Key', ''].join('\n'), sources);
    expect(bad.problems.map((p) => `${p.key}: ${p.problem}`)).toEqual([`SALESFORCE_CASE_KEY_FIELD="Call Key": ${CASE_KEY_MESSAGE}`]);

    const misspelt = parseTenantFile('acme', '/t/acme.env', ['TOKEN=secret-token-1', ...CREDENTIALS, 'SALESFORCE_CASE_KEY_FEILD=Call_Key__c', ''].join('\n'), sources);
    expect(misspelt.problems.map((p) => `${p.key}: ${p.problem}`)).toEqual(['SALESFORCE_CASE_KEY_FEILD: unknown key: did you mean SALESFORCE_CASE_KEY_FIELD?']);
  });
});
