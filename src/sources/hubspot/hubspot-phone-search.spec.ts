import { normalizeIncoming, writtenForms, type PhoneIncomingNumber } from '../../phone';
import { CHECK_AGAIN_AFTER_MS, PhonePropertyCheck, phoneFilterGroups, SEARCHABLE_PHONE_PROPERTIES } from './hubspot-phone-search';
import { SourceError } from '../../core/source-error';

const number = (raw: string) => normalizeIncoming(raw, 'CH') as PhoneIncomingNumber;

describe('phoneFilterGroups', () => {
  it('compares each searchable property the object has with the national number, each in its own group', () => {
    expect(phoneFilterGroups(SEARCHABLE_PHONE_PROPERTIES, number('41789072228'))).toEqual([
      { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: '789072228' }] },
      { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'EQ', value: '789072228' }] },
    ]);
    expect(phoneFilterGroups(['hs_searchable_calculated_phone_number'], number('41446681800'))).toEqual([
      { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: '446681800' }] },
    ]);
  });

  it.each([
    ['the object has none of them', []],
    ['they are not known yet', undefined],
  ])("searches phone's written forms in one IN filter when %s", (_, searchable) => {
    const groups = phoneFilterGroups(searchable, number('41446681800'));
    expect(groups).toEqual([{ filters: [{ propertyName: 'phone', operator: 'IN', values: writtenForms(number('41446681800')) }] }]);
    expect(groups[0]!.filters[0]!.values).toEqual(expect.arrayContaining(['+41 44 668 18 00', '044 668 18 00']));
  });

  it('stays within HubSpot’s limits: 5 groups, 6 filters in a group, a body under 3,000 characters', () => {
    for (const raw of ['41446681800', '14155551212', '442079460018', '390212345678', '861012345678', '5511999990000']) {
      for (const searchable of [SEARCHABLE_PHONE_PROPERTIES, undefined]) {
        const groups = phoneFilterGroups(searchable, number(raw));
        expect(groups.length).toBeLessThanOrEqual(5);
        expect(groups.every((g) => g.filters.length <= 6)).toBe(true);
        const properties = ['name', 'domain', 'hs_lastmodifieddate', 'phone', 'hs_calculated_phone_number', 'a_custom_property_with_a_long_name'];
        expect(JSON.stringify({ limit: 20, properties, filterGroups: groups }).length).toBeLessThan(3000);
      }
    }
  });
});

/** A client whose `hasProperty` answers each name from a table, or waits for the test to answer. */
function portal(answers: Record<string, boolean | Error | 'wait'>) {
  const asked: string[] = [];
  const waiting: Array<() => void> = [];
  const client = {
    hasProperty: (objectType: string, name: string): Promise<boolean> => {
      asked.push(`${objectType}/${name}`);
      const answer = answers[name];
      if (answer === 'wait') return new Promise((resolve) => waiting.push(() => resolve(true)));
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer ?? false);
    },
  };
  return { client, asked, answerWaiting: () => waiting.splice(0).forEach((answer) => answer()) };
}

describe('PhonePropertyCheck', () => {
  const soon = () => Date.now() + 1000;

  it('asks for each searchable property once, and keeps those that exist (404 = absent)', async () => {
    const { client, asked } = portal({ hs_searchable_calculated_phone_number: true, hs_searchable_calculated_mobile_number: false });
    const check = new PhonePropertyCheck(client, 'companies', () => undefined);
    check.start(soon());
    expect(await check.properties(soon())).toEqual(['hs_searchable_calculated_phone_number']);
    expect(await check.properties(soon())).toEqual(['hs_searchable_calculated_phone_number']);
    expect(asked).toEqual(['companies/hs_searchable_calculated_phone_number', 'companies/hs_searchable_calculated_mobile_number']);
  });

  it('keeps "none of them" as an answer too', async () => {
    const { client, asked } = portal({});
    const check = new PhonePropertyCheck(client, 'companies', () => undefined);
    expect(await check.properties(soon())).toEqual([]);
    expect(await check.properties(soon())).toEqual([]);
    expect(asked).toHaveLength(2);
  });

  it('reports a failed check, answers "not known" at once for a minute, then asks again', async () => {
    const answers: Record<string, boolean | Error> = { hs_searchable_calculated_phone_number: new SourceError('AUTH', 'HubSpot answered 403') };
    const { client, asked } = portal(answers);
    const failures: unknown[] = [];
    let now = 1_000_000;
    const check = new PhonePropertyCheck(client, 'companies', (error) => failures.push(error), () => now);
    expect(await check.properties(soon())).toBeUndefined();
    expect(failures).toEqual([expect.objectContaining({ code: 'AUTH' })]);
    answers.hs_searchable_calculated_phone_number = true;
    now += CHECK_AGAIN_AFTER_MS - 1;
    expect(await check.properties(soon())).toBeUndefined();
    expect(asked).toHaveLength(2);
    now += 1;
    expect(await check.properties(soon())).toEqual(['hs_searchable_calculated_phone_number']);
    expect(asked).toHaveLength(4);
    expect(failures).toHaveLength(1);
  });

  it('waits for a slow check at most half the time left, without asking twice, and uses its answer once it comes', async () => {
    const { client, asked, answerWaiting } = portal({ hs_searchable_calculated_phone_number: 'wait' });
    const check = new PhonePropertyCheck(client, 'companies', () => undefined);
    check.start(soon());
    const started = Date.now();
    expect(await check.properties(Date.now() + 200)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(200);
    expect(await check.properties(Date.now() + 20)).toBeUndefined();
    expect(asked).toHaveLength(2);
    answerWaiting();
    expect(await check.properties(soon())).toEqual(['hs_searchable_calculated_phone_number']);
    expect(asked).toHaveLength(2);
  });
});
