import { excelCsvUtf8, excelCsvWindows1252, excelUnicodeText, SWISS_PHONE_BOOK } from '../support/phone-book';
import { startTestApp, type TestApp } from '../support/test-app';

/** One tenant per export, each with its own token and phone book file. */
const TENANTS = {
  windows: { token: 'windows-token-1', file: 'windows.csv', bytes: excelCsvWindows1252(SWISS_PHONE_BOOK) },
  utf8: { token: 'utf8-token-123', file: 'utf8.csv', bytes: excelCsvUtf8(SWISS_PHONE_BOOK) },
  unicode: { token: 'unicode-token-1', file: 'unicode.txt', bytes: excelUnicodeText(SWISS_PHONE_BOOK) },
};
type TenantId = keyof typeof TENANTS;

describe('phone books exported from Excel (e2e)', () => {
  let gateway: TestApp;

  beforeAll(async () => {
    const files: Record<string, string | Buffer> = {};
    for (const [id, { token, file, bytes }] of Object.entries(TENANTS)) {
      files[`${id}.env`] = `TOKEN=${token}\nDIRECTORY_FILE=${file}\n`;
      files[file] = bytes;
    }
    gateway = await startTestApp({ files });
  });
  afterAll(() => gateway.close());

  const lookup = async (tenant: TenantId, number: string): Promise<Array<Record<string, unknown>>> =>
    (await gateway.http.get('/lookup').query({ PhoneNumber: number }).set('X-Execution-Token', TENANTS[tenant].token).expect(200)).body;
  const loadLine = (tenant: TenantId) => gateway.logs.find((l) => String(l.msg).startsWith(`Directory of tenant ${tenant} loaded`));

  it.each<[TenantId, string]>([
    ['windows', 'Excel "CSV" on Windows (Windows-1252, semicolons)'],
    ['utf8', 'Excel "CSV UTF-8" (byte-order mark, semicolons)'],
    ['unicode', 'Excel "Unicode Text" (UTF-16, tabs)'],
  ])('shows the caller with umlauts intact: tenant %s, %s', async (tenant) => {
    const [card, ...others] = await lookup(tenant, '+41 44 321 54 76');
    expect(others).toEqual([]);
    expect(card).toMatchObject({
      Name: 'Hans Müller',
      Company: 'Müller & Söhne AG',
      CustomData: { Abteilung: 'Geschäftsleitung', Adresse: 'Bahnhofstrasse 1\nZürich' },
    });
    expect((await lookup(tenant, '+41 21 312 45 67')).map((c) => c.Name)).toEqual(['Françoise Dubois']);
  });

  it('says in the log how each file was read', () => {
    expect(loadLine('windows')?.msg).toBe('Directory of tenant windows loaded: 4 entries, read as Windows-1252, separated by semicolons');
    expect(loadLine('utf8')?.msg).toBe('Directory of tenant utf8 loaded: 4 entries, separated by semicolons');
    expect(loadLine('unicode')?.msg).toBe('Directory of tenant unicode loaded: 4 entries, read as UTF-16LE, separated by tabs');
  });
});
