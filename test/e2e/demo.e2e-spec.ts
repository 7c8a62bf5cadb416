import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGlobalSettings } from '../../src/config/global-settings';
import { startDemoEnvironment, type DemoEnvironment } from '../fakes/demo-environment';
import { eventually } from '../support/eventually';
import { startTestApp, type TestApp } from '../support/test-app';

const EXAMPLES = join(__dirname, '../../examples/tenants');
const ROOT = join(__dirname, '../..');

/** A workflow command as printed for people to paste: its token, URL and body, read as curl reads them. */
interface PrintedCurl {
  readonly token: string;
  readonly url: string;
  readonly body: string;
}

function curlIn(text: string, where: string): PrintedCurl {
  const token = /-H 'X-Execution-Token: ([^']+)'/.exec(text)?.[1];
  const url = /'([^' ]+\/lookup\/CallFlow)'/.exec(text)?.[1];
  const body = /-d '([^']*)'/.exec(text)?.[1];
  if (token === undefined || url === undefined || body === undefined) throw new Error(`no CallFlow curl command in ${where}`);
  return { token, url, body };
}

/** The fenced example of the README's "Business workflows" section, and the answer it shows. */
function readmeExample(): { readonly curl: PrintedCurl; readonly answer: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Business workflows'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const answer = /^# → (.+)$/m.exec(block)?.[1] ?? '';
  return { curl: curlIn(block.replace(/^#.*$/m, ''), 'the README'), answer };
}

/** The CallFlow command `npm run demo` prints, with its `${base}` as the demo prints it for `port`. */
function demoCommand(port: number): PrintedCurl {
  const script = readFileSync(join(ROOT, 'scripts/demo.js'), 'utf8');
  const base = /const base = `([^`]+)`;/.exec(script)?.[1]?.replace('${port}', String(port));
  const line = script.split('\n').find((l) => l.includes('/lookup/CallFlow'));
  return curlIn((line ?? '').replace('${base}', base ?? '<no base in scripts/demo.js>'), 'scripts/demo.js');
}

/** A fresh demo, its fakes and its gateway, for the `describe` that calls this: started before its tests, stopped after. */
function freshDemo(): { readonly demo: DemoEnvironment; readonly gateway: TestApp } {
  const running = {} as { demo: DemoEnvironment; gateway: TestApp };
  beforeAll(async () => {
    running.demo = await startDemoEnvironment(EXAMPLES);
    running.gateway = await startTestApp({ tenantsDir: running.demo.tenantsDir });
  });
  afterAll(async () => {
    await running.gateway.close();
    await running.demo.stop();
  });
  return running;
}

/** What `npm run demo` serves: the demo phone book beside the fake Salesforce org, HubSpot portal and SugarCRM. */
describe('the demo (e2e)', () => {
  const running = freshDemo();

  const cards = async (number: string): Promise<string[]> => {
    // HubSpot's 5 searches per second (2 per lookup): a person at the phone never calls this fast. The
    // gateway's own window is 1050 ms; wait until it leaves room for this lookup's two.
    await eventually(() => (running.demo.hubspot?.searchTimes ?? []).filter((at) => at > Date.now() - 1100).length <= 3);
    const response = await running.gateway.http.get('/lookup').query({ PhoneNumber: number }).set('X-Execution-Token', 'demo-token').expect(200);
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
    const response = await running.gateway.http
      .post('/lookup/CallFlow')
      .set('X-Execution-Token', 'demo-token')
      .send({ inputs: { contactCrmId: 'salesforce:Contact:003000000000001AAA', direction: 'incoming', originatorNumber: '41789072228', startedTime: '2026-11-24 09:00:00' } })
      .expect(200);
    expect(response.body.url).toContain(`${running.demo.salesforceUrl}/lightning/r/Task/`);
  });
});

/** The README's example and the demo's printed command work word for word against a fresh demo. */
describe('the workflow commands shown to people (e2e against the demo)', () => {
  const running = freshDemo();
  const port = (): number => loadGlobalSettings({ TENANTS_DIR: running.demo.tenantsDir }).PORT;
  const send = (curl: PrintedCurl, reqId: string) =>
    running.gateway.http.post(new URL(curl.url).pathname).set('X-Execution-Token', curl.token).set('Content-Type', 'application/json').set('X-Request-Id', reqId).send(curl.body);

  it("logs the README's CallFlow example, answering what the README shows, its user taken as the owner", async () => {
    const { curl, answer } = readmeExample();
    expect(curl.url).toBe(`http://localhost:${port()}/lookup/CallFlow`);
    const response = await send(curl, 'readme-callflow').expect(200);
    expect(response.body).toEqual(JSON.parse(answer.replace("http://127.0.0.1:<fake org's port>", running.demo.salesforceUrl)));
    expect(running.gateway.logs.lines.filter((l) => l.reqId === 'readme-callflow' && (l.level as number) >= 40)).toEqual([]);
  });

  it('logs the CallFlow command the demo prints: the same call as the README\'s, so the same answer', async () => {
    const { curl } = readmeExample();
    const printed = demoCommand(port());
    expect({ ...printed, body: JSON.parse(printed.body) as unknown }).toEqual({ ...curl, body: JSON.parse(curl.body) });
    const first = await send(curl, 'demo-callflow-readme').expect(200);
    const response = await send(printed, 'demo-callflow').expect(200);
    expect(response.body).toEqual(first.body);
    expect(response.body.id).toMatch(/^salesforce:Task:00T\w{15}$/);
  });
});
