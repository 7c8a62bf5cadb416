import { excelCsvUtf8, excelCsvWindows1252, excelUnicodeText, SWISS_PHONE_BOOK } from '../support/phone-book';
import { startTestApp, type TestApp } from '../support/test-app';

/** One tenant per export, each with its own token and phone book file. */
const TENANTS = {
  windows: { token: 'windows-token-1', file: 'windows.csv', bytes: excelCsvWindows1252(SWISS_PHONE_BOOK) },
  utf8: { token: 'utf8-token-123', file: 'utf8.csv', bytes: excelCsvUtf8(SWISS_PHONE_BOOK) },
  unicode: { token: 'unicode-token-1', file: 'unicode.txt', bytes: excelUnicodeText(SWISS_PHONE_BOOK) },
  stray: {
    token: 'stray-token-123',
    file: 'stray.csv',
    bytes: Buffer.from(
      'name,company,phone,Notes\r\n' +
        'Anna Muster,Muster AG,044 668 18 00,\r\n' +
        'Hans Müller,Müller AG, Zürich,044 321 54 76,\r\n' +
        ['Basel', 'Bern', 'Genève', 'Luzern', 'Sion', 'Chur'].map((city, i) => `Kurt Frei ${i},Frei AG, ${city},044 321 54 0${i},\r\n`).join('') +
        'Beat Keller,Keller GmbH,079 123 45 67,\r\n',
    ),
  },
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

  it('loads the rest of a file in which rows have a stray comma, and warns with a few of their lines but not their content', async () => {
    expect((await lookup('stray', '044 668 18 00')).map((c) => c.Name)).toEqual(['Anna Muster']);
    expect((await lookup('stray', '079 123 45 67')).map((c) => c.Name)).toEqual(['Beat Keller']);
    expect(await lookup('stray', '044 321 54 76')).toEqual([]);
    const line = loadLine('stray');
    expect(line).toMatchObject({
      level: 40,
      msg: "Directory of tenant stray loaded: 2 entries (7 row(s) skipped, their number of fields is not the header's 4: " +
        'line 3 has 5, line 4 has 5, line 5 has 5, line 6 has 5, line 7 has 5 and 2 more)',
    });
    const directoryLines = gateway.logs.lines.filter((l) => String(l.msg).startsWith('Directory of tenant')).map((l) => JSON.stringify(l));
    expect(directoryLines.join('\n')).not.toMatch(/Müller|Frei|Zürich|Basel|321 54/);
  });
});
