import { ACME_TENANT, PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { startTestApp, withTestApp, type TestApp } from '../support/test-app';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Nest's catch-all that answers 404 for paths no controller serves. */
const NOT_FOUND_HANDLER = '/{*path}';

/** The only routes anyone may call without a token; they name no tenant and no source. */
const PUBLIC_ROUTES = ['GET /health', 'GET /health/ready', 'GET /logos/:file'];
/** Behind `METRICS_TOKEN`, not a tenant's token. */
const METRICS_ROUTES = ['GET /metrics'];
const METRICS_TOKEN = 'metrics-secret-0123456789';
/** Behind `ADMIN_TOKEN`, not a tenant's token (and off without it). */
const ADMIN_ROUTES = ['GET /admin/outbox', 'POST /admin/outbox/:id/retry', 'DELETE /admin/outbox/:id'];
const ADMIN_TOKEN = 'admin-secret-0123456789abcdef';
/** The console's routes a browser reaches before signing in: the sign-in page and form, its assets. */
const CONSOLE_OPEN_ROUTES = ['GET /admin/sign-in', 'POST /admin/sign-in', 'GET /admin/assets/:name'];
/** The console's other routes: behind a session made by signing in with `ADMIN_TOKEN` (see console.e2e-spec.ts). */
const isConsoleRoute = (route: string): boolean => route.split(' ')[1]!.startsWith('/admin') && !ADMIN_ROUTES.includes(route);

describe('every route is protected unless deliberately public (e2e)', () => {
  let gateway: TestApp;
  let routes: string[];

  beforeAll(async () => {
    // Every route without a token, from one address: more failed attempts than the throttle allows by default.
    gateway = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '1000', METRICS_TOKEN, ADMIN_TOKEN }, files: { 'acme.env': ACME_TENANT, 'book.csv': PHONE_BOOK_CSV } });
    const router = (gateway.app.getHttpAdapter().getInstance() as { router: { stack: RouteLayer[] } }).router;
    routes = router.stack.flatMap((layer) =>
      layer.route && layer.route.path !== NOT_FOUND_HANDLER ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`) : [],
    );
  });
  afterAll(() => gateway.close());

  const call = (route: string, token?: string) => {
    const [method, path] = route.split(' ') as [string, string];
    const url = path.replace(/:[a-zA-Z]+/g, 'directory.svg');
    const req = method === 'POST' ? gateway.http.post(url) : method === 'DELETE' && path.startsWith('/admin/') ? gateway.http.delete(url) : gateway.http.get(url);
    return token ? req.set('X-Execution-Token', token) : req;
  };

  it('finds the routes', () => {
    expect(routes).toEqual(expect.arrayContaining(['GET /lookup', 'POST /lookup', 'GET /lookup/Lookup', 'POST /lookup/Lookup', ...PUBLIC_ROUTES, ...METRICS_ROUTES, ...ADMIN_ROUTES]));
  });

  it('answers 401 without a token on every route but the public ones and the console', async () => {
    for (const route of routes.filter((r) => !isConsoleRoute(r))) {
      const response = await call(route);
      if (PUBLIC_ROUTES.includes(route)) expect({ route, status: response.status }).toEqual({ route, status: 200 });
      else expect({ route, status: response.status }).toEqual({ route, status: 401 });
    }
  });

  it('lets a valid token through on every protected route', async () => {
    for (const route of routes.filter((r) => !PUBLIC_ROUTES.includes(r) && !METRICS_ROUTES.includes(r) && !ADMIN_ROUTES.includes(r) && !isConsoleRoute(r))) {
      const response = await call(route, TOKEN);
      expect({ route, status: response.status }).not.toEqual({ route, status: 401 });
    }
  });

  it("opens the admin API to ADMIN_TOKEN only, never to a tenant's token", async () => {
    for (const route of ADMIN_ROUTES) {
      expect((await call(route, TOKEN)).status).toBe(401);
      expect((await call(route).set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect((await call(route).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).status).not.toBe(401);
    }
  });

  it("opens no console page without a session, with or without a tenant's token", async () => {
    const consoleRoutes = routes.filter((r) => isConsoleRoute(r) && !CONSOLE_OPEN_ROUTES.includes(r));
    expect(consoleRoutes).toEqual(expect.arrayContaining(['GET /admin', 'GET /admin/explain', 'POST /admin/explain', 'GET /admin/recent', 'GET /admin/deliveries', 'GET /admin/tenants']));
    for (const route of consoleRoutes) {
      for (const response of [await call(route), await call(route, TOKEN), await call(route).set('Authorization', `Bearer ${TOKEN}`), await call(route).set('Cookie', `gateway_console=${TOKEN}`)]) {
        // A page sends the browser to the sign-in; a form post is refused before its body is read.
        if (route.startsWith('GET ')) expect({ route, status: response.status, to: response.headers.location }).toEqual({ route, status: 303, to: '/admin/sign-in' });
        else expect({ route, status: response.status }).toEqual({ route, status: 401 });
      }
    }
    expect(routes.filter((r) => isConsoleRoute(r))).toEqual(expect.arrayContaining(CONSOLE_OPEN_ROUTES));
    await gateway.http.post('/admin/sign-in').type('form').send({ token: TOKEN }).expect(401);
  });

  it('opens the metrics to METRICS_TOKEN only, never to a tenant\'s token', async () => {
    for (const route of METRICS_ROUTES) {
      expect((await call(route, TOKEN)).status).toBe(401);
      expect((await call(route).set('Authorization', `Bearer ${TOKEN}`)).status).toBe(401);
      expect((await call(route).set('Authorization', `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    }
  });

  it('says nothing of tenants or sources on the public routes', async () => {
    for (const route of PUBLIC_ROUTES) {
      const response = await call(route);
      expect({ route, text: response.text }).not.toEqual({ route, text: expect.stringMatching(/acme|directory"|tenant/i) });
    }
  });

  it('answers a path no controller serves with a plain 404', async () => {
    const response = await gateway.http.get('/nowhere').expect(404);
    expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nowhere' });
  });

  it('keeps /metrics off without METRICS_TOKEN, saying how to turn it on', async () => {
    await withTestApp({ files: { 'acme.env': ACME_TENANT, 'book.csv': PHONE_BOOK_CSV } }, async (bare) => {
      const response = await bare.http.get('/metrics').expect(404);
      expect(response.body.message).toContain('Metrics are off: set METRICS_TOKEN');
      await bare.http.get('/health/ready').set('Authorization', 'Bearer anything').expect(401);
    });
  });
});
