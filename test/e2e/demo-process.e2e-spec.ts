import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, GatewayProcess } from '../support/gateway-process';

const ROOT = join(__dirname, '../..');

/** `npm run demo`'s last step, as the script runs it (`node scripts/demo.js`), on the fakes built as it builds them. */
describe('the demo process (e2e)', () => {
  jest.setTimeout(120_000);

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    await new Promise<void>((done, fail) =>
      execFile(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.fakes.json'], { cwd: ROOT }, (error, _out, stderr) =>
        error ? fail(new Error(`building the fakes failed: ${stderr}`)) : done(),
      ),
    );
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('answers the lookup it prints, and on %s stops and removes its copy of the tenants', async (signal) => {
    const demo = new GatewayProcess(process.execPath, [join(ROOT, 'scripts/demo.js')], { cwd: ROOT, env: { RECORD_ID_SECRET: 'x'.repeat(40) }, port: await freePort() });
    let tenants = '';
    try {
      await demo.waitForLine(/^Ctrl-C stops it\.$/, 60_000);
      tenants = /The demo's tenant files are in (\S+): /.exec(demo.stdout)?.[1] ?? '';
      expect(existsSync(join(tenants, 'demo.env'))).toBe(true);
      const lookup = /curl -s -H 'X-Execution-Token: demo-token' '(http:\/\/localhost:\d+\/lookup\?PhoneNumber=\d+)'/.exec(demo.stdout)?.[1] ?? '';
      const cards = (await (await fetch(lookup.replace('localhost', '127.0.0.1'), { headers: { 'X-Execution-Token': 'demo-token' } })).json()) as Array<{ Name: string }>;
      expect(cards.map((card) => card.Name)).toContain('Anna Muster');
      // The console it prints opens with the admin token it prints.
      const [, consoleUrl, adminToken] = /open (http:\/\/localhost:\d+\/admin) in a browser and sign in with (\S+)/.exec(demo.stdout) ?? [];
      const signIn = await fetch(`${consoleUrl!.replace('localhost', '127.0.0.1')}/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${adminToken}` });
      expect({ status: signIn.status, cookie: signIn.headers.get('set-cookie') }).toEqual({ status: 303, cookie: expect.stringMatching(/^gateway_console=/) });
      demo.signal(signal);
      expect(await demo.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(tenants)).toBe(false);
      expect(demo.messages()).toContain(`Stopped (${signal})`);
    } finally {
      await demo.stop('SIGKILL');
      if (tenants !== '') rmSync(tenants, { recursive: true, force: true }); // a failed test's demo was killed before it could
    }
  });
});
