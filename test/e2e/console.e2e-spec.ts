import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { coloursOf, launchBrowser, pngSize } from '../support/browser';
import { eventually } from '../support/eventually';
import { hubspot, salesforce, sugar } from '../support/outbox-crms';
import { listening } from '../support/raw-http';
import { startTestApp, type TestApp } from '../support/test-app';

const ADMIN_TOKEN = 'console-admin-token-0123456789abcdef';
const HEADER = 'X-Execution-Token';
const ACME_TOKEN = 'console-acme-token';
const BETA_TOKEN = 'console-beta-token';
const VIEWPORT = { width: 1280, height: 900 } as const;
/** +41 78 907 22 28 written any way (its national digits, up to 3 other characters between two of them). */
const FULL_NUMBER = /7\D{0,3}8\D{0,3}9\D{0,3}0\D{0,3}7\D{0,3}2\D{0,3}2\D{0,3}2\D{0,3}8/;
const STATES = ['ok', 'slow', 'failing', 'circuit open', 'Redis down', 'idle'];
/** A phone book whose entries' names and the source's display name are markup: the pages must show them as text. */
const BETA_BOOK = ['name,company,phone', '<script>window.pwned=1</script>,<b>Evil</b> Corp,+41 31 555 12 34', 'Hans Brand,Brand AG,+41 31 555 12 35'].join('\n');

describe('the admin console, in a real browser (e2e)', () => {
  const crms = { salesforce: salesforce(), hubspot: hubspot(), sugar: sugar() };
  let gateway: TestApp;
  let base: string;
  let browser: Browser;
  /** Errors the pages reported (a script that failed, a CSP refusal): none may happen. */
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    await Promise.all(Object.values(crms).map((crm) => crm.fake.start()));
    gateway = await startTestApp({
      env: { ADMIN_TOKEN, WORKFLOW_RETRY_FIRST_S: '1', WORKFLOW_RETRY_MAX_S: '1', TRUST_PROXY: 'loopback' },
      files: {
        'acme.env': [`TOKEN=${ACME_TOKEN}`, crms.salesforce.tenant(), crms.hubspot.tenant(), crms.sugar.tenant(), 'WORKFLOW_DEFAULT_CRM=salesforce', 'CACHE_TTL_S=0', ''].join('\n'),
        'beta.env': [`TOKEN=${BETA_TOKEN}`, 'DIRECTORY_FILE=book.csv', 'DIRECTORY_NAME=<i>Phone book</i>', ''].join('\n'),
        'book.csv': BETA_BOOK,
      },
    });
    base = `http://127.0.0.1:${await listening(gateway)}`;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await Promise.all(Object.values(crms).map((crm) => crm.fake.stop()));
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0)).toEqual([]);
  });

  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT, ...options });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    // A page answered 401 or 403 on purpose is logged by Chromium as a resource that failed: the assets are checked below instead.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (['script', 'stylesheet', 'image', 'fetch'].includes(response.request().resourceType()) && response.status() >= 400) pageErrors.push(`${response.url()}: ${response.status()}`);
    });
    return page;
  }

  async function signedIn(): Promise<Page> {
    const page = await newPage();
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
    return page;
  }

  /** A screenshot of the page as shown: a PNG of the window's size, with something drawn on it. */
  async function expectScreenshot(page: Page, name: string): Promise<void> {
    const png = await page.screenshot({ path: process.env.CONSOLE_SCREENSHOTS ? `${process.env.CONSOLE_SCREENSHOTS}/${name}.png` : undefined });
    expect(pngSize(png)).toEqual(VIEWPORT);
    const colours = await coloursOf(browser, png);
    expect(colours.distinct).toBeGreaterThan(20);
    expect(colours.commonestShare).toBeLessThan(0.97);
  }

  const lookup = (token: string, number: string) => request(base).get(`/lookup?PhoneNumber=${number}`).set(HEADER, token).expect(200);

  it('signs in with the admin token only: a wrong token is refused with a clear message, on a page without inline script', async () => {
    const page = await newPage();
    const signIn = await page.goto(`${base}/admin/tenants`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    expect(signIn!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(signIn!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(signIn!.headers()['x-frame-options']).toBe('DENY');
    await expectScreenshot(page, 'sign-in');

    await page.fill('input[name=token]', 'not-the-admin-token-0123456789');
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/sign-in') && r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(refused.status()).toBe(401);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain("Wrong admin token: that is not this gateway's ADMIN_TOKEN");
    expect(await page.context().cookies()).toEqual([]);

    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview');
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'gateway_console', httpOnly: true, sameSite: 'Strict', path: '/admin', secure: false });
    // Every script of the page is a file of the gateway's own: none inline, none from elsewhere.
    const scripts = await page.locator('script').evaluateAll((elements) => elements.map((e) => (e as HTMLScriptElement).src));
    expect(scripts).toEqual([`${base}/admin/assets/uPlot.iife.min.js`, `${base}/admin/assets/console.js`]);
  });

  it('sets the session cookie Secure when the request came over https through a trusted proxy', async () => {
    const answer = await request(base).post('/admin/sign-in').set('X-Forwarded-Proto', 'https').type('form').send({ token: ADMIN_TOKEN }).expect(303);
    expect(answer.headers.location).toBe('/admin');
    expect(answer.headers['set-cookie']![0]).toMatch(/^gateway_console=[\w-]{43}; Path=\/admin; HttpOnly; Secure; SameSite=Strict$/);
  });

  it('opens nothing to a tenant CONNECTOR token: not as a bearer, a header, a cookie nor at the sign-in', async () => {
    const page = await newPage({ extraHTTPHeaders: { Authorization: `Bearer ${ACME_TOKEN}`, [HEADER]: ACME_TOKEN } });
    await page.context().addCookies([{ name: 'gateway_console', value: ACME_TOKEN, url: `${base}/admin` }]);
    for (const path of ['/admin', '/admin/deliveries', '/admin/tenants', '/admin/recent', '/admin/explain']) {
      await page.goto(`${base}${path}`);
      expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    }
    await page.fill('input[name=token]', ACME_TOKEN);
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('Wrong admin token');

    for (const auth of [{ Authorization: `Bearer ${ACME_TOKEN}` }, { [HEADER]: ACME_TOKEN }, { Cookie: `gateway_console=${ACME_TOKEN}` }]) {
      const answer = await request(base).get('/admin/tenants').set(auth).expect(303);
      expect(answer.headers.location).toBe('/admin/sign-in');
      await request(base).post('/admin/tenants/check').set(auth).type('form').send({ csrf: 'x' }).expect(401);
    }
    await request(base).post('/admin/sign-in').type('form').send({ token: ACME_TOKEN }).expect(401);
  });

  it('refuses a form posted without its session CSRF token (403), from the page and over HTTP', async () => {
    const page = await signedIn();
    await page.goto(`${base}/admin/tenants`);
    await page.locator('form[action="/admin/tenants/check"] input[name=csrf]').evaluate((input) => input.remove());
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/tenants/check')), page.click('form[action="/admin/tenants/check"] button')]);
    expect(answer.status()).toBe(403);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('lacks its session token (CSRF)');

    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    await request(base).post('/admin/tenants/check').set('Cookie', cookie).type('form').send({}).expect(403);
    await request(base).post('/admin/tenants/check').set('Cookie', cookie).type('form').send({ csrf: 'another-sessions-token' }).expect(403);
    await request(base).post('/admin/tenants/check').set('Cookie', cookie).expect(403);
  });

  it('shows the tenants with every secret hidden, and runs the checks of npm run check on a button press', async () => {
    const page = await signedIn();
    await page.goto(`${base}/admin/tenants`);
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain('acme');
    expect(text).toContain('<i>Phone book</i>');
    for (const secret of ['fake-client-secret', (crms.hubspot.fake as unknown as { token: string }).token, (crms.sugar.fake as unknown as { password: string }).password, ACME_TOKEN, BETA_TOKEN]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('(hidden)');
    await expect(page.locator('.check').textContent()).resolves.toContain('Not run yet.');

    await Promise.all([page.waitForURL(`${base}/admin/tenants`), page.click('form[action="/admin/tenants/check"] button')]);
    await expect(page.locator('[role=status]').textContent()).resolves.toBe('Checks done: everything checked is ok.');
    const rows = await page.locator('table.check-results tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map(([tenant, source]) => `${tenant} ${source}`).sort()).toEqual(['acme hubspot', 'acme salesforce', 'acme sugar', 'beta directory']);
    for (const row of rows) expect(row[2]).toMatch(/^ok ok: /);
    await expectScreenshot(page, 'tenants');
  });

  it('retries a dead letter from the outbox page, and the CRM gets the write', async () => {
    const crm = crms.salesforce;
    crm.fake.failWrites = { status: 400 };
    const writes = crm.callWrites().length;
    const call = { direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', contactCrmId: crm.contactCrmId, startedTime: '2026-12-01 09:00:00' };
    await request(base).post('/lookup/CallFlow').set(HEADER, ACME_TOKEN).send({ inputs: call }).expect(502);
    crm.fake.failWrites = undefined;

    const page = await signedIn();
    await page.goto(`${base}/admin/deliveries`);
    const dead = page.locator('#dead tbody tr[data-id]');
    await expect(dead.count()).resolves.toBe(1);
    const id = (await dead.getAttribute('data-id'))!;
    const row = (await dead.textContent())!;
    expect(row).toContain('acme');
    expect(row).toContain('CallFlow');
    expect(row).toMatch(/BAD_REQUEST/);
    expect(row).toContain('+41******228');
    expect(row).not.toMatch(FULL_NUMBER);
    await expectScreenshot(page, 'outbox');

    await Promise.all([page.waitForURL(`${base}/admin/deliveries`), dead.locator('button.retry').click()]);
    await expect(page.locator('[role=status]').textContent()).resolves.toBe('CallFlow for acme (salesforce) is queued to be sent now.');
    await eventually(() => crm.callWrites().length === writes + 2, 10_000);
    const admin = (state: string) => request(base).get(`/admin/outbox?state=${state}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    await eventually(async () => (await admin('delivered')).body.some((d: { id: string }) => d.id === id), 10_000);
    await page.reload();
    await expect(page.locator('#dead tbody tr[data-id]').count()).resolves.toBe(0);
  });

  it('drops a dead letter from the outbox page', async () => {
    const crm = crms.sugar;
    crm.fake.failWrites = { status: 400 };
    const call = { direction: 'incoming', originatorNumber: '41789072228', destinationNumber: '41446681800', contactCrmId: crm.contactCrmId, startedTime: '2026-12-01 10:00:00' };
    const tenantSugarCall = await request(base).post('/lookup/CallFlow').set(HEADER, ACME_TOKEN).send({ inputs: call });
    crm.fake.failWrites = undefined;
    expect(tenantSugarCall.status).toBe(502);

    const page = await signedIn();
    await page.goto(`${base}/admin/deliveries`);
    const dead = page.locator('#dead tbody tr[data-id]');
    await expect(dead.count()).resolves.toBe(1);
    const id = (await dead.getAttribute('data-id'))!;
    await Promise.all([page.waitForURL(`${base}/admin/deliveries`), dead.locator('button.drop').click()]);
    await expect(page.locator('[role=status]').textContent()).resolves.toBe(`Write ${id} dropped for good.`);
    await expect(page.locator('#dead tbody tr[data-id]').count()).resolves.toBe(0);
    const all = await Promise.all(['queued', 'sending', 'delivered', 'dead'].map(async (state) => (await request(base).get(`/admin/outbox?state=${state}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body));
    expect(all.flat().map((d: { id: string }) => d.id)).not.toContain(id);
  });

  it('shows every tenant and source on the overview with a state, the last hour as charts drawn by uPlot', async () => {
    await lookup(ACME_TOKEN, '41789072228');
    await lookup(BETA_TOKEN, '41315551235');
    const page = await signedIn();
    const rows = await page.locator('table.overview tbody tr[data-tenant]').evaluateAll((trs) =>
      trs.map((tr) => ({ tenant: tr.getAttribute('data-tenant'), source: tr.getAttribute('data-source'), state: tr.querySelector('.state')?.textContent })),
    );
    expect(rows.map((r) => `${r.tenant} ${r.source}`).sort()).toEqual(['acme hubspot', 'acme salesforce', 'acme sugar', 'beta directory']);
    for (const row of rows) expect(STATES).toContain(row.state);
    // Three charts per row, each drawn on a canvas by uPlot (served by the gateway, allowed by the CSP).
    await expect(page.locator('table.overview .chart').count()).resolves.toBe(12);
    await page.waitForFunction(() => document.querySelectorAll('table.overview .chart canvas').length === 12);
    await expectScreenshot(page, 'overview');
  });

  it('explains a lookup: the number as read, each source with its outcome, and the candidates dropped with their reason', async () => {
    const page = await signedIn();
    await page.goto(`${base}/admin/explain`);
    await page.selectOption('select[name=tenant]', 'acme');
    await page.fill('input[name=number]', '+41 78 907 22 28');
    await page.check('input[name=bypassCache]');
    await Promise.all([page.waitForURL(`${base}/admin/explain`), page.click('form.explain button[type=submit]')]);
    await page.waitForSelector('section.explanation');

    const sources = await page.locator('section.explained-source').evaluateAll((sections) =>
      sections.map((s) => ({ source: s.getAttribute('data-source'), outcome: s.querySelector('h3 .state')?.textContent })),
    );
    expect(sources.map((s) => s.source).sort()).toEqual(['hubspot', 'salesforce', 'sugar']);
    for (const source of sources) expect(source.outcome).toBe('ok');
    // HubSpot's and Sugar's searches also find Fabian Weber, whose +49 number only shares its national digits: dropped, and why.
    for (const source of ['hubspot', 'sugar']) {
      const section = page.locator(`section.explained-source[data-source=${source}]`);
      const dropped = (await section.locator('tr.dropped').allTextContents()).join('\n');
      expect(dropped).toContain('Fabian Weber');
      expect(dropped).toContain('+49******228');
      expect(dropped).toContain('dropped: none of its stored phones is this number');
      await expect(section.locator('tr.kept').allTextContents()).resolves.toEqual([expect.stringContaining('Anna Muster')]);
    }
    for (const source of ['salesforce', 'hubspot', 'sugar']) {
      await expect(page.locator(`section.explained-source[data-source=${source}] pre.query`).count()).resolves.toBeGreaterThan(0);
    }
    // The number typed, as read, in the queries and the stored phones: never in full on the page.
    expect(await page.locator('main').textContent()).not.toMatch(FULL_NUMBER);
    const cards = JSON.parse((await page.locator('pre.cards').textContent())!) as Array<Record<string, unknown>>;
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.some((card) => String(card.Name).includes('Anna Muster'))).toBe(true);
    expect(await page.locator('table.read-as').textContent()).toContain('+41******228');
    await expectScreenshot(page, 'explain');
  });

  it('shows a CRM record named with markup as text, never as markup', async () => {
    const page = await signedIn();
    await page.goto(`${base}/admin/explain`);
    await page.selectOption('select[name=tenant]', 'beta');
    await page.fill('input[name=number]', '031 555 12 34');
    await Promise.all([page.waitForURL(`${base}/admin/explain`), page.click('form.explain button[type=submit]')]);
    await page.waitForSelector('section.explanation');
    await expect(page.locator('section.explained-source').textContent()).resolves.toContain('<script>window.pwned=1</script>');
    await expect(page.locator('section.explained-source').textContent()).resolves.toContain('<b>Evil</b> Corp');
    await expect(page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).resolves.toBeUndefined();
    await expect(page.locator('section.explained-source b').count()).resolves.toBe(0);
  });

  it('lists the recent lookups per tenant with masked numbers and each source outcome', async () => {
    await lookup(ACME_TOKEN, '41789072228');
    await lookup(BETA_TOKEN, '41315551235');
    const page = await signedIn();
    await page.goto(`${base}/admin/recent`);
    const text = (await page.locator('table.recent').textContent())!;
    expect(text).toContain('+41******228');
    expect(text).toContain('+41******235');
    expect(text).not.toMatch(FULL_NUMBER);
    expect(text).not.toContain('315551235');
    for (const source of ['salesforce', 'hubspot', 'sugar', 'directory']) expect(text).toContain(source);
    await expectScreenshot(page, 'recent');

    await page.selectOption('select[name=tenant]', 'beta');
    await Promise.all([page.waitForURL(`${base}/admin/recent?tenant=beta`), page.click('form.filter button')]);
    const tenants = await page.locator('table.recent tbody tr td:nth-child(2)').allTextContents();
    expect(tenants.length).toBeGreaterThan(0);
    expect(new Set(tenants)).toEqual(new Set(['beta']));
  });

  it('signs out: the session is gone, its cookie opens nothing any more', async () => {
    const page = await signedIn();
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    await request(base).get('/admin/tenants').set('Cookie', cookie).expect(200);
    await page.click('form.sign-out button');
    await expect(page.locator('[role=status]').textContent()).resolves.toBe('Signed out.');
    expect(await page.context().cookies()).toEqual([]);
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    const answer = await request(base).get('/admin/tenants').set('Cookie', cookie).expect(303);
    expect(answer.headers.location).toBe('/admin/sign-in');
  });
});

describe('the admin console sign-in and the failed-token throttle (e2e)', () => {
  let gateway: TestApp;

  beforeAll(async () => {
    gateway = await startTestApp({
      env: { ADMIN_TOKEN, AUTH_FAILURES_PER_MINUTE: '3' },
      files: { 'beta.env': [`TOKEN=${BETA_TOKEN}`, 'DIRECTORY_FILE=book.csv', ''].join('\n'), 'book.csv': BETA_BOOK },
    });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('counts wrong admin tokens with the tenants’ failed tokens: past the limit, even the right one waits', async () => {
    for (let i = 0; i < 3; i++) await gateway.http.post('/admin/sign-in').type('form').send({ token: `wrong-admin-token-${i}-0123456789` }).expect(401);
    const throttled = await gateway.http.post('/admin/sign-in').type('form').send({ token: 'wrong-admin-token-again-0123456789' }).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.text).toContain('Too many invalid tokens from this address');
    const right = await gateway.http.post('/admin/sign-in').type('form').send({ token: ADMIN_TOKEN }).expect(429);
    expect(right.headers['set-cookie']).toBeUndefined();
    // The tenants' lookups from that address are throttled as well: it is one count.
    await gateway.http.get('/lookup?PhoneNumber=41315551235').set(HEADER, 'not-a-tenant-token').expect(429);
  });
});

describe('the admin console without ADMIN_TOKEN (e2e)', () => {
  it('is off: every page answers 404', async () => {
    const gateway = await startTestApp({ files: { 'beta.env': [`TOKEN=${BETA_TOKEN}`, 'DIRECTORY_FILE=book.csv', ''].join('\n'), 'book.csv': BETA_BOOK } });
    try {
      for (const path of ['/admin', '/admin/sign-in', '/admin/deliveries', '/admin/assets/console.js']) {
        const answer = await gateway.http.get(path).expect(404);
        expect(answer.text).toContain('The admin console is off');
      }
      await gateway.http.post('/admin/sign-in').type('form').send({ token: ADMIN_TOKEN }).expect(404);
    } finally {
      await gateway.close();
    }
  });
});
