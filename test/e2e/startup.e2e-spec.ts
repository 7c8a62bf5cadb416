import { ConfigurationError } from '../../src/config/settings-validation';
import { NoTenantsError } from '../../src/tenants/tenant-registry';
import { PHONE_BOOK_CSV } from '../support/phone-book';
import { startTestApp, withTestApp } from '../support/test-app';

async function startError(files: Record<string, string | Buffer>): Promise<Error> {
  try {
    const gateway = await startTestApp({ files });
    await gateway.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the gateway started, but should have refused');
}

describe('start-up checks (e2e)', () => {
  it('refuses to start without tenants and says how to add one or run the demo', async () => {
    const error = await startError({ 'example.env.example': 'TOKEN=not-a-tenant' });
    expect(error).toBeInstanceOf(NoTenantsError);
    expect(error.message).toContain('No tenants configured');
    expect(error.message).toContain('cp tenants/example.env.example tenants/my-company.env');
    expect(error.message).toContain('npm run demo');
  });

  it('names the file, the key and the problem of a bad tenant file, hiding the secret', async () => {
    const error = await startError({ 'acme.env': 'TOKEN=short\nDEFAULT_REGION=Swiss\nDIRECTORY_FIEL=book.csv\n' });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/acme\.env has invalid settings/);
    expect(error.message).toContain('TOKEN (value hidden): must be one or more tokens of at least 8 characters');
    expect(error.message).toContain('DEFAULT_REGION="Swiss": must be a two-letter ISO 3166 country code');
    expect(error.message).toContain('DIRECTORY_FIEL: unknown key');
    expect(error.message).not.toContain('short');
  });

  it('refuses a token shared by two tenants, without showing it', async () => {
    const error = await startError({ 'a.env': 'TOKEN=shared-token-1\n', 'b.env': 'TOKEN=other-token-1,shared-token-1\n' });
    expect(error.message).toMatch(/b\.env has invalid settings/);
    expect(error.message).toContain('the same token is also used by tenant a');
    expect(error.message).not.toContain('shared-token-1');
  });

  it('refuses an AUTH_HEADER that a proxy, a browser or the gateway uses for something else', async () => {
    const error = await startError({ 'acme.env': 'TOKEN=secret-token-1\nAUTH_HEADER=X-Request-Id\n' });
    expect(error.message).toMatch(/acme\.env has invalid settings[\s\S]*AUTH_HEADER="X-Request-Id": names a header that proxies, browsers or the gateway use/);
  });

  it('refuses a tenant without a token', async () => {
    const error = await startError({ 'acme.env': 'DEFAULT_REGION=CH\n' });
    expect(error.message).toContain('TOKEN (not set): missing');
  });

  it('refuses a tenant file name that is not a tenant id', async () => {
    const error = await startError({ 'my tenant.env': 'TOKEN=secret-token-1\n' });
    expect(error.message).toMatch(/my tenant\.env has invalid settings[\s\S]*tenant id/);
  });

  it('refuses a directory file that is missing or unreadable, naming the key', async () => {
    const missing = await startError({ 'acme.env': 'TOKEN=secret-token-1\nDIRECTORY_FILE=nowhere.csv\n' });
    expect(missing.message).toMatch(/acme\.env has invalid settings:\n {2}- DIRECTORY_FILE="nowhere.csv": cannot load \S*nowhere\.csv: no such file$/);

    const broken = await startError({ 'acme.env': 'TOKEN=secret-token-1\nDIRECTORY_FILE=book.csv\n', 'book.csv': 'first,last\nA,B\n' });
    expect(broken.message).toContain('neither a name nor a company column');
  });

  it('refuses a phone book whose quote is never closed, naming the line where the row starts, not its content', async () => {
    const error = await startError({
      'acme.env': 'TOKEN=secret-token-1\nDIRECTORY_FILE=book.csv\n',
      'book.csv': Buffer.from('name;company;phone\r\nAnna Muster;Muster AG;044 668 18 00\r\n"Hans M\xfcller;M\xfcller AG;044 321 54 76\r\nBeat;;055\r\n', 'latin1'),
    });
    expect(error.message).toMatch(/DIRECTORY_FILE="book.csv": cannot load \S*book\.csv: the row on line 3 has a quote that is never closed$/);
  });

  it('starts a tenant that has no source yet (it answers [] until one is configured)', async () => {
    await withTestApp({ files: { 'acme.env': 'TOKEN=secret-token-1\n', 'book.csv': PHONE_BOOK_CSV } }, async (gateway) => {
      await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Execution-Token', 'secret-token-1').expect(200, []);
    });
  });
});
