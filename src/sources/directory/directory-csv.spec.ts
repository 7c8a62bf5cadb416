import { parseDirectoryCsv } from './directory-csv';

describe('parseDirectoryCsv', () => {
  it('reads the known columns in any case and order, and puts the rest in CustomData', () => {
    const { entries, skippedRows } = parseDirectoryCsv(
      'Phone,NAME,Company,url,Company_URL,Mobile,Extension,Department,Notes\n' +
        '+41 44 668 18 00,Anna Muster,Muster AG,https://crm/a,https://crm/m,+41 78 907 22 28,,Sales,\n',
    );
    expect(skippedRows).toBe(0);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.candidate).toMatchObject({
      sourceId: 'directory',
      objectType: 'entry',
      kind: 'person',
      name: 'Anna Muster',
      company: 'Muster AG',
      contactUri: 'https://crm/a',
      companyUri: 'https://crm/m',
      phones: ['+41 44 668 18 00', '+41 78 907 22 28'],
      customData: { Department: 'Sales' },
    });
  });

  it('reads a row without a name as a company card', () => {
    const { entries } = parseDirectoryCsv('name,company,phone\n,Alpenblick Hotel AG,+41 33 822 00 00\n');
    expect(entries[0]!.candidate).toMatchObject({ kind: 'company', name: 'Alpenblick Hotel AG', company: undefined });
  });

  it('keeps extensions apart from phone numbers', () => {
    const { entries } = parseDirectoryCsv('name,extension\nNina Graf,201\n');
    expect(entries[0]).toMatchObject({ extensions: ['201'], candidate: { phones: ['201'] } });
  });

  it('handles quoted cells, a byte-order mark and CRLF line ends', () => {
    const { entries } = parseDirectoryCsv('\uFEFFname,company,phone\r\n"Favre, Chantal","Favre & Fils ""SA""",+41 21 552 20 00\r\n');
    expect(entries[0]!.candidate).toMatchObject({ name: 'Favre, Chantal', company: 'Favre & Fils "SA"' });
  });

  it('skips rows that name nobody or hold no number, and counts them', () => {
    const { entries, skippedRows } = parseDirectoryCsv('name,company,phone\n,,+41 44 000 00 00\nNo Number,,\nOk,,044 668 18 00\n');
    expect(entries.map((e) => e.candidate.name)).toEqual(['Ok']);
    expect(skippedRows).toBe(2);
  });

  it('gives a row the same id after unrelated edits to the file', () => {
    const before = parseDirectoryCsv('name,phone\nAnna,044 668 18 00\n').entries[0]!.candidate.recordId;
    const after = parseDirectoryCsv('name,phone\nBeat,044 123 45 67\nAnna,044 668 18 00\n').entries[1]!.candidate.recordId;
    expect(after).toBe(before);
  });

  it.each([
    ['', /empty/],
    ['first,last\nAnna,Muster\n', /neither a name nor a company column/],
    ['name,company\nAnna,Muster AG\n', /no phone, mobile or extension column/],
    ['name,phone\n"Anna,044\n', /quote/i],
    ['name,phone\nAnna,044,extra\n', /expect 2, got 3 on line 2/],
  ])('refuses %j with a readable reason', (content, reason) => {
    expect(() => parseDirectoryCsv(content)).toThrow(reason);
  });
});
