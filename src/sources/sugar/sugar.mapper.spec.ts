import { toCandidate, type SugarRecord } from './sugar.mapper';

const SITE = 'https://acme.sugarondemand.com';
const CUSTOM = [
  { label: 'Title', field: 'title' },
  { label: 'Score', field: 'lead_score_c' },
  { label: 'Do not call', field: 'do_not_call' },
  { label: 'Owner', field: 'assigned_user_name' },
];

/** A record of `POST /rest/v11/Contacts/filter` (crm-apis.md §3.4): mandatory fields, `_acl`, empty phones as "". */
const DALE: SugarRecord = {
  id: 'fa300a0e-0ad1-b322-9601-512d0983c19a',
  date_modified: '2026-02-28T05:03:00+00:00',
  assigned_user_id: '1',
  created_by: '1',
  locked_fields: [],
  name: 'Dale Spivey',
  first_name: 'Dale',
  last_name: 'Spivey',
  title: 'VP Operations',
  account_name: 'Acme',
  account_id: 'a0b1c2d3-0000-4000-8000-000000000001',
  phone_work: '(212) 542-9596',
  phone_mobile: '(373) 861-0757',
  phone_home: '',
  phone_other: '',
  phone_fax: '(212) 542-9500',
  assistant_phone: null,
  lead_score_c: 87,
  do_not_call: false,
  assigned_user_name: null,
  _acl: { fields: {} },
  _module: 'Contacts',
};

describe('Sugar toCandidate', () => {
  it('maps a Contact of the filter answer: its phone fields (not the fax), its account, custom data of any plain type', () => {
    expect(toCandidate(DALE, SITE, CUSTOM)).toEqual({
      sourceId: 'sugar',
      objectType: 'Contacts',
      recordId: 'fa300a0e-0ad1-b322-9601-512d0983c19a',
      kind: 'person',
      name: 'Dale Spivey',
      company: 'Acme',
      contactUri: `${SITE}/#Contacts/fa300a0e-0ad1-b322-9601-512d0983c19a`,
      companyUri: `${SITE}/#Accounts/a0b1c2d3-0000-4000-8000-000000000001`,
      phones: ['(212) 542-9596', '(373) 861-0757'],
      customData: { Title: 'VP Operations', Score: '87', 'Do not call': 'false' },
      modifiedAt: new Date('2026-02-28T05:03:00Z'),
    });
  });

  it('maps a Lead of the global search answer: its company as typed, no account to link', () => {
    const lead: SugarRecord = {
      id: 'l-olivia',
      _module: 'Leads',
      _score: 3.2,
      name: 'Olivia Brunner',
      first_name: 'Olivia',
      last_name: 'Brunner',
      account_name: 'Brunner Bau AG',
      phone_mobile: '076 555 44 33',
      phone_work: null,
      date_modified: '2026-11-09T08:00:00+00:00',
    };
    expect(toCandidate(lead, SITE, [])).toMatchObject({
      objectType: 'Leads',
      kind: 'person',
      company: 'Brunner Bau AG',
      contactUri: `${SITE}/#Leads/l-olivia`,
      companyUri: undefined,
      phones: ['076 555 44 33'],
      customData: {},
    });
  });

  it('maps an Account as a company card linking to itself, on its office and alternate phones', () => {
    const account: SugarRecord = { id: 'acc-muster', _module: 'Accounts', name: 'Muster Treuhand AG', phone_office: '+41 44 668 18 00', phone_alternate: '044 668 18 01', phone_fax: '044 668 18 99' };
    expect(toCandidate(account, SITE, [])).toMatchObject({
      kind: 'company',
      name: 'Muster Treuhand AG',
      company: undefined,
      contactUri: `${SITE}/#Accounts/acc-muster`,
      companyUri: `${SITE}/#Accounts/acc-muster`,
      phones: ['+41 44 668 18 00', '044 668 18 01'],
      modifiedAt: undefined,
    });
  });

  it.each<[string, Partial<SugarRecord>, string]>([
    ['no full name: first and last', { name: '', first_name: 'Beat', last_name: 'Keller' }, 'Beat Keller'],
    ['only a last name', { name: null, first_name: null, last_name: 'Keller' }, 'Keller'],
    ['no name at all: its id', { name: '  ' }, 'c-beat'],
  ])('names a person with %s', (_, fields, name) => {
    expect(toCandidate({ id: 'c-beat', _module: 'Contacts', ...fields }, SITE, [])?.name).toBe(name);
  });

  it('leaves out records of modules it does not search', () => {
    expect(toCandidate({ id: 'o1', _module: 'Opportunities', name: 'Deal' }, SITE, [])).toBeUndefined();
  });
});
