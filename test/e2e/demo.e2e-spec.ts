import { join } from 'node:path';
import { startDemoEnvironment, type DemoEnvironment } from '../fakes/demo-environment';
import { startTestApp, type TestApp } from '../support/test-app';

const EXAMPLES = join(__dirname, '../../examples/tenants');

/** What `npm run demo` serves: the demo phone book beside the fake Salesforce org, HubSpot portal and SugarCRM. */
describe('the demo (e2e)', () => {
  let demo: DemoEnvironment;
  let gateway: TestApp;
  beforeAll(async () => {
    demo = await startDemoEnvironment(EXAMPLES);
    gateway = await startTestApp({ tenantsDir: demo.tenantsDir });
  });
  afterAll(async () => {
    await gateway.close();
    await demo.stop();
  });

  const cards = async (number: string): Promise<string[]> => {
    // HubSpot's 5 searches per second (2 per lookup): a person at the phone never calls this fast.
    await new Promise((resolve) => setTimeout(resolve, 450));
    const response = await gateway.http.get('/lookup').query({ PhoneNumber: number }).set('X-Execution-Token', 'demo-token').expect(200);
    return response.body.map((c: { Name: string; Id: string }) => `${c.Name} (${c.Id.split(':')[0]})`);
  };

  const ANNA = ['Anna Muster (salesforce)', 'Anna Muster (hubspot)', 'Anna Muster (sugar)', 'Anna Muster (directory)'];
  it.each([
    ['41789072228', ANNA],
    ['+41 78 907 22 28', ANNA],
    ['0041789072228', ANNA],
    ['078 907 22 28', ANNA],
    // Seven records match; the best five are answered: people first, then companies by source order.
    ['41446681800', ['Anna Muster (salesforce)', 'Anna Muster (sugar)', 'Anna Muster (directory)', 'Muster Treuhand AG (salesforce)', 'Muster Treuhand AG (hubspot)']],
    ['41791234567', ['Beat Keller (salesforce)', 'Beat Keller (hubspot)', 'Beat Keller (sugar)', 'Beat Keller (directory)']],
    ['41441234567', ['Beat Keller (directory)', 'Keller Holzbau GmbH (hubspot)']],
    ['41215522000', ['Chantal Favre (hubspot)', 'Chantal Favre (sugar)', 'Chantal Favre (directory)']],
    ['41792223344', ['Chantal Favre (salesforce)', 'Chantal Favre (directory)']],
    ['41313501111', ['Daniel Bühler (salesforce)', 'Daniel Bühler (directory)']],
    ['41765554433', ['Olivia Brunner (salesforce)', 'Olivia Brunner (sugar)', 'Daniel Bühler (directory)']],
    ['390212345678', ['Elena Rossi (salesforce)', 'Elena Rossi (directory)']],
    ['393471234567', ['Elena Rossi (hubspot)', 'Elena Rossi (directory)']],
    ['4930901820', ['Fabian Weber (directory)']],
    ['4315134567', ['Gabriele Huber (directory)']],
    ['33142685300', ['Hélène Dubois (directory)']],
    ['442079460018', ['Ian Clarke (salesforce)', 'Ian Clarke (hubspot)', 'Ian Clarke (sugar)', 'Ian Clarke (directory)', 'Clarke & Partners Ltd (salesforce)']],
    ['14155551212', ['Julia Chen (salesforce)', 'Julia Chen (hubspot)', 'Julia Chen (sugar)', 'Julia Chen (directory)']],
    // Stored without the extension in HubSpot: an exact match ranks above the `ext 12` entries.
    ['41522123456', ['Kurt Meier (hubspot)', 'Kurt Meier (salesforce)', 'Kurt Meier (sugar)', 'Kurt Meier (directory)']],
    ['41612710000', ['Laura Steiner (salesforce)', 'Laura Steiner (directory)']],
    ['41338220000', ['Alpenblick Hotel AG (salesforce)', 'Alpenblick Hotel AG (hubspot)', 'Alpenblick Hotel AG (sugar)', 'Alpenblick Hotel AG (directory)']],
    ['201', ['Nina Graf (directory)']],
    ['203', ['Petra Lang (directory)']],
    ['41789072229', []],
    ['anonymous', []],
  ])('finds %s', async (number, expected) => {
    expect(await cards(number)).toEqual(expected);
  });

  it('logs a demo call into the fake Salesforce', async () => {
    const response = await gateway.http
      .post('/lookup/CallFlow')
      .set('X-Execution-Token', 'demo-token')
      .send({ inputs: { contactCrmId: 'salesforce:Contact:003000000000001AAA', direction: 'incoming', originatorNumber: '41789072228', startedTime: '2026-11-24 09:00:00' } })
      .expect(200);
    expect(response.body.url).toContain(`${demo.salesforceUrl}/lightning/r/Task/`);
  });
});
