import { requestedFields } from './salesforce-fields';
import { caseSafeSuffix, recordUrl, SALESFORCE_RECORD_IDS, toCandidate } from './salesforce.mapper';
import { salesforceAuth, salesforceSettingProblems, SalesforceSettings } from './salesforce.settings';

describe('recordUrl', () => {
  it.each([
    ['https://acme.my.salesforce.com', 'https://acme.lightning.force.com/lightning/r/Contact/003A/view'],
    ['https://acme--dev.sandbox.my.salesforce.com/', 'https://acme--dev.sandbox.lightning.force.com/lightning/r/Contact/003A/view'],
    ['https://acme.develop.my.salesforce.com', 'https://acme.develop.lightning.force.com/lightning/r/Contact/003A/view'],
    ['https://na1.salesforce.com', 'https://na1.salesforce.com/lightning/r/Contact/003A/view'],
    ['http://127.0.0.1:4000', 'http://127.0.0.1:4000/lightning/r/Contact/003A/view'],
  ])('links %s records to Lightning', (instance, expected) => {
    expect(recordUrl(instance, 'Contact', '003A')).toBe(expected);
  });
});

describe('toCandidate', () => {
  const instance = 'https://acme.my.salesforce.com';

  it('maps a Contact with its Account, phones and custom data', () => {
    const candidate = toCandidate(
      {
        attributes: { type: 'Contact' },
        Id: '003A',
        Name: 'Anna Muster',
        AccountId: '001A',
        Account: { attributes: { type: 'Account' }, Name: 'Muster AG' },
        Phone: '044 668 18 00',
        MobilePhone: null,
        HomePhone: '',
        Title: 'CFO',
        Owner: { Name: 'Sarah' },
        LastModifiedDate: '2026-11-20T08:00:00.000+0000',
      },
      instance,
      [
        { label: 'Title', field: 'Title' },
        { label: 'Owner', field: 'Owner.Name' },
        { label: 'Missing', field: 'Department' },
      ],
    );
    expect(candidate).toEqual({
      sourceId: 'salesforce',
      objectType: 'Contact',
      recordId: '003A',
      kind: 'person',
      name: 'Anna Muster',
      company: 'Muster AG',
      contactUri: 'https://acme.lightning.force.com/lightning/r/Contact/003A/view',
      companyUri: 'https://acme.lightning.force.com/lightning/r/Account/001A/view',
      phones: ['044 668 18 00'],
      customData: { Title: 'CFO', Owner: 'Sarah' },
      modifiedAt: new Date('2026-11-20T08:00:00.000Z'),
    });
  });

  it('maps a Lead (company from Lead.Company, no account link) and an Account (a company card)', () => {
    expect(toCandidate({ attributes: { type: 'Lead' }, Id: '00QA', Name: 'Bo Li', Company: 'Initech', Phone: '+1 415 555 1212' }, instance, [])).toMatchObject({
      kind: 'person',
      company: 'Initech',
      companyUri: undefined,
    });
    expect(toCandidate({ attributes: { type: 'Account' }, Id: '001A', Name: 'Acme', Phone: '+41 44 668 18 00' }, instance, [])).toMatchObject({
      kind: 'company',
      company: undefined,
      companyUri: 'https://acme.lightning.force.com/lightning/r/Account/001A/view',
    });
  });

  it('maps the records of a SOSL answer (crm-apis.md §1.4.1): nested relations with attributes, nulls, numbers and yes/no fields', () => {
    const answer = {
      searchRecords: [
        {
          attributes: { type: 'Contact', url: '/services/data/v62.0/sobjects/Contact/003XX0000000001AAA' },
          Id: '003XX0000000001AAA',
          Name: 'Ana Diaz',
          AccountId: '001XX0000000001AAA',
          Phone: '(415) 555-1212',
          MobilePhone: null,
          HomePhone: null,
          OtherPhone: '415.555.1313',
          AssistantPhone: null,
          HasOptedOutOfEmail: false,
          Owner: null,
          Account: { attributes: { type: 'Account', url: '/services/data/v62.0/sobjects/Account/001XX0000000001AAA' }, Name: 'Acme' },
          LastModifiedDate: '2026-09-11T13:27:39.000+0000',
        },
        { attributes: { type: 'Contact', url: '/services/data/v62.0/sobjects/Contact/003XX0000000002AAA' }, Id: '003XX0000000002AAA', Name: 'Bo Li', AccountId: null, Account: null, Phone: '+1 415 555 1212' },
        { attributes: { type: 'Lead', url: '/services/data/v62.0/sobjects/Lead/00QXX0000000001AAA' }, Id: '00QXX0000000001AAA', Name: null, Company: 'Initech', Phone: '+1 415 555 1414', MobilePhone: '' },
        { attributes: { type: 'Account', url: '/services/data/v62.0/sobjects/Account/001XX0000000001AAA' }, Id: '001XX0000000001AAA', Name: 'Acme', Phone: '(415) 555-1000', NumberOfEmployees: 120 },
      ],
    };
    const custom = [
      { label: 'Opted out', field: 'HasOptedOutOfEmail' },
      { label: 'Owner', field: 'Owner.Name' },
      { label: 'Employees', field: 'NumberOfEmployees' },
    ];
    const [ana, bo, lead, account] = answer.searchRecords.map((record) => toCandidate(record, instance, custom));
    expect(ana).toMatchObject({ name: 'Ana Diaz', company: 'Acme', phones: ['(415) 555-1212', '415.555.1313'], customData: { 'Opted out': 'false' } });
    expect(bo).toMatchObject({ company: undefined, companyUri: undefined, phones: ['+1 415 555 1212'], customData: {}, modifiedAt: undefined });
    expect(lead).toMatchObject({ objectType: 'Lead', name: 'Initech', company: 'Initech', phones: ['+1 415 555 1414'] });
    expect(account).toMatchObject({ kind: 'company', name: 'Acme', phones: ['(415) 555-1000'], customData: { Employees: '120' } });
  });

  it('ignores object types it does not know', () => {
    expect(toCandidate({ attributes: { type: 'Opportunity' }, Id: '006A' }, instance, [])).toBeUndefined();
  });
});

describe('requestedFields', () => {
  const visible = (names: string[], relationships: string[] = []) => ({ names: new Set(names), relationships: new Set(relationships) });

  it('asks only for fields the integration user can see', () => {
    expect(requestedFields('Lead', [{ label: 'Owner', field: 'Owner.Name' }], visible(['Name', 'Company', 'LastModifiedDate', 'Phone']))).toEqual([
      'Id',
      'Name',
      'Company',
      'LastModifiedDate',
      'Phone',
    ]);
    expect(requestedFields('Contact', [], visible(['Name', 'AccountId', 'Phone'], ['Account']))).toEqual(['Id', 'Name', 'AccountId', 'Account.Name', 'Phone']);
  });
});

describe('Salesforce settings', () => {
  const settings = (values: Partial<SalesforceSettings>): SalesforceSettings => Object.assign(new SalesforceSettings(), values);

  it('picks the one complete set of credentials', () => {
    expect(salesforceAuth(settings({}))).toBeUndefined();
    expect(salesforceAuth(settings({ SALESFORCE_LOGIN_URL: 'https://a.my.salesforce.com', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_CLIENT_SECRET: 's' }))?.kind).toBe(
      'client-credentials',
    );
    expect(
      salesforceAuth(
        settings({ SALESFORCE_LOGIN_URL: 'https://a', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_USERNAME: 'u', SALESFORCE_PASSWORD: 'p' }),
      )?.kind,
    ).toBe('password');
    expect(salesforceAuth(settings({ SALESFORCE_INSTANCE_URL: 'https://a', SALESFORCE_ACCESS_TOKEN: 't' }))?.kind).toBe('fixed-token');
  });

  it.each<[Partial<SalesforceSettings>, string]>([
    [{ SALESFORCE_CLIENT_ID: 'id' }, 'SALESFORCE_LOGIN_URL, SALESFORCE_CLIENT_SECRET'],
    [{ SALESFORCE_LOGIN_URL: 'https://a', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_USERNAME: 'u' }, 'SALESFORCE_PASSWORD'],
    [{ SALESFORCE_INSTANCE_URL: 'https://a' }, 'SALESFORCE_ACCESS_TOKEN'],
  ])('names what a partial set %j lacks', (values, missing) => {
    expect(salesforceSettingProblems(settings(values))).toEqual([expect.objectContaining({ key: missing, problem: expect.stringMatching(/^missing: /) })]);
  });

  it('has nothing to say about a complete set or none', () => {
    expect(salesforceSettingProblems(settings({}))).toEqual([]);
    expect(salesforceSettingProblems(settings({ SALESFORCE_INSTANCE_URL: 'https://a', SALESFORCE_ACCESS_TOKEN: 't' }))).toEqual([]);
  });
});

describe('Salesforce record ids', () => {
  it.each([
    ['00300000003T2PG', 'AA0'],
    ['003xx000004TmiQ', 'AAS'],
    ['00Q000000000001', 'EAA'],
    ['003000000000001', 'AAA'],
  ])('makes %s case-safe with %s', (id15, suffix) => {
    expect(caseSafeSuffix(id15)).toBe(suffix);
  });

  it.each([
    ['Contact', '003xx000004TmiQAAS', true],
    ['Contact', '003xx000004TmiQ', true],
    ['Lead', '00Q000000000001EAA', true],
    ['Task', '00T000000000001EAA', true],
    ['Contact', '001000000000001AAA', false],
    ['Lead', '00Q000000000001AAA', false],
    ['Contact', '003xx000004TmiQAAA', false],
    ['Contact', '003xx000004tmiQAAS', false],
    ['Contact', 'zzzzzzzzzzzzzzz', false],
    ['Contact', '003xx000004TmiQAA', false],
  ])('%s %s → %s', (objectType, id, accepted) => {
    expect(SALESFORCE_RECORD_IDS[objectType]!.test(id)).toBe(accepted);
  });
});
