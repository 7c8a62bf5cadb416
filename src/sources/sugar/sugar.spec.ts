import { normalizeIncoming, type PhoneIncomingNumber } from '../../phone';
import { phoneFilter } from './sugar-phone-filters';
import { toCandidate } from './sugar.mapper';
import { SugarSettings, sugarSettingProblems } from './sugar.settings';

const number = (raw: string) => normalizeIncoming(raw, 'CH') as PhoneIncomingNumber;

describe('phoneFilter', () => {
  it('ORs every tail over every phone field of the module', () => {
    const [filter] = phoneFilter('Accounts', number('41789072228')) as Array<{ $or: unknown[] }>;
    expect(filter!.$or).toHaveLength(2 * 5);
    expect(filter!.$or[0]).toEqual({ phone_office: { $contains: '789072228' } });
  });
});

describe('Sugar mapping and settings', () => {
  it('maps a Contact with its account link and custom data', () => {
    expect(
      toCandidate(
        { id: 'c1', _module: 'Contacts', name: 'Anna Muster', account_name: 'Muster AG', account_id: 'a1', phone_mobile: '+41 78 907 22 28', phone_work: '', title: 'CFO', date_modified: '2026-11-20T08:00:00+00:00' },
        'https://acme.sugarondemand.com',
        [{ label: 'Title', field: 'title' }],
      ),
    ).toEqual({
      sourceId: 'sugar',
      objectType: 'Contacts',
      recordId: 'c1',
      kind: 'person',
      name: 'Anna Muster',
      company: 'Muster AG',
      contactUri: 'https://acme.sugarondemand.com/#Contacts/c1',
      companyUri: 'https://acme.sugarondemand.com/#Accounts/a1',
      phones: ['+41 78 907 22 28'],
      customData: { Title: 'CFO' },
      modifiedAt: new Date('2026-11-20T08:00:00Z'),
    });
    expect(toCandidate({ id: 'x', _module: 'Opportunities' }, 'https://s', [])).toBeUndefined();
  });

  it('names the keys missing from a partial set of credentials', () => {
    const settings = Object.assign(new SugarSettings(), { SUGAR_URL: 'https://s', SUGAR_PASSWORD: 'p' });
    expect(sugarSettingProblems(settings)).toEqual([{ key: 'SUGAR_USERNAME', problem: 'missing: Sugar needs SUGAR_URL, SUGAR_USERNAME, SUGAR_PASSWORD' }]);
    expect(sugarSettingProblems(new SugarSettings())).toEqual([]);
  });
});
