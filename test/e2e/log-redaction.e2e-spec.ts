import { PinoLogger } from 'nestjs-pino';
import { withTestApp } from '../support/test-app';

describe('log redaction (e2e)', () => {
  it('censors headers, tokens and CRM secrets in whatever is logged, and logs no full number', async () => {
    await withTestApp({
      files: { 'acme.env': 'TOKEN=acme-secret-token\nAUTH_HEADER=X-Api-Key\nSALESFORCE_INSTANCE_URL=http://127.0.0.1:9\nSALESFORCE_ACCESS_TOKEN=sf-secret-access\nCACHE_TTL_S=0\n' },
    }, async (gateway) => {
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Api-Key', 'acme-secret-token').set('Authorization', 'Bearer other-secret').expect(200);
      const logger = await gateway.app.resolve(PinoLogger);
      logger.info(
        {
          req: { headers: { authorization: 'Bearer other-secret', 'x-api-key': 'acme-secret-token' } },
          crm: { password: 'hunter2', client_secret: 'cs-secret', access_token: 'at-secret', refresh_token: 'rt-secret', 'oauth-token': 'ot-secret' },
        },
        'something a future change logs',
      );
      const text = gateway.logs.text();
      for (const secret of ['acme-secret-token', 'other-secret', 'sf-secret-access', 'hunter2', 'cs-secret', 'at-secret', 'rt-secret', 'ot-secret', '41789072228', '789072228']) {
        expect(text).not.toContain(secret);
      }
      const line = gateway.logs.find((l) => l.msg === 'something a future change logs');
      expect(line?.req).toEqual({ headers: '[redacted]' });
      expect(line).toMatchObject({
        crm: { password: '[redacted]', client_secret: '[redacted]', access_token: '[redacted]', refresh_token: '[redacted]', 'oauth-token': '[redacted]' },
      });
    });
  });
});
