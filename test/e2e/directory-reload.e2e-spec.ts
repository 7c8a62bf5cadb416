import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACME_TENANT, excelCsvWindows1252, PHONE_BOOK_CSV, SWISS_PHONE_BOOK, TOKEN } from '../support/phone-book';
import { eventually } from '../support/eventually';
import { startTestApp, type TestApp } from '../support/test-app';

describe('directory reload (e2e)', () => {
  let gateway: TestApp;
  const names = async (number: string): Promise<string[]> => {
    const response = await gateway.http.get('/lookup').query({ PhoneNumber: number }).set('X-Execution-Token', TOKEN).expect(200);
    return response.body.map((c: { Name: string }) => c.Name);
  };

  beforeAll(async () => {
    gateway = await startTestApp({ files: { 'acme.env': ACME_TENANT, 'book.csv': PHONE_BOOK_CSV } });
  });
  afterAll(() => gateway.close());

  it('serves a changed file without a restart', async () => {
    expect(await names('41612710000')).toEqual([]);
    writeFileSync(join(gateway.dir, 'book.csv'), `${PHONE_BOOK_CSV}\nLaura Steiner,Steiner Architektur,061 271 00 00,,,,,\n`);
    await eventually(async () => (await names('41612710000')).includes('Laura Steiner'));
    expect(await names('41789072228')).toEqual(['Anna Muster']);
  });

  it('keeps the previous phone book when the new file does not parse, and logs why', async () => {
    writeFileSync(join(gateway.dir, 'book.csv'), 'name,phone\n"unterminated,044 668 18 00\n');
    await eventually(async () => gateway.logs.lines.some((l) => l.level === 40 && String(l.msg).includes('not reloaded')));
    const warning = gateway.logs.lines.find((l) => String(l.msg).includes('not reloaded'));
    expect(warning?.msg).toMatch(/Directory of tenant acme not reloaded, still serving the previous 8 entries: .*book\.csv: .*quote/i);
    expect(await names('41612710000')).toEqual(['Laura Steiner']);
  });

  it('reads the file again when Excel on Windows saves over it (Windows-1252, semicolons)', async () => {
    writeFileSync(join(gateway.dir, 'book.csv'), excelCsvWindows1252(SWISS_PHONE_BOOK));
    await eventually(async () => (await names('41443215476')).length > 0);
    expect(await names('41443215476')).toEqual(['Hans Müller']);
    expect(await names('41612710000')).toEqual([]);
    const loaded = gateway.logs.lines.filter((l) => String(l.msg).startsWith('Directory of tenant acme loaded')).at(-1);
    expect(loaded?.msg).toBe('Directory of tenant acme loaded: 4 entries, read as Windows-1252, separated by semicolons');
  });
});
