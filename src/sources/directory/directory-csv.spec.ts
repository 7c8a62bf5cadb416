import { excelCsvUtf8, excelCsvWindows1252, excelUnicodeText, SWISS_PHONE_BOOK } from '../../../test/support/phone-book';
import { detectDelimiter, parseDirectoryCsv, readDirectoryFile } from './directory-csv';

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
    ['name,phone\nAnna,044\n\n"Beat,055\nCarl,066\n', /^the row on line 4 has a quote that is never closed$/],
    ['name,phone\r\n"Anna\r\nMuster",044\r\nBeat "Bobo" Keller,055\r\n', /^the row on line 4 has a quote inside a cell: quote the whole cell/],
    ['name,phone\nAnna,044\n"Beat" Keller,055\n', /^the row on line 3 has text after the closing quote of a cell$/],
  ])('refuses %j with a readable reason', (content, reason) => {
    expect(() => parseDirectoryCsv(content)).toThrow(reason);
  });
});

describe('readDirectoryFile: files as spreadsheets save them', () => {
  const cards = (bytes: Buffer) => readDirectoryFile(bytes).entries.map((e) => e.candidate);
  const SWISS_CARDS = [
    {
      name: 'Hans Müller',
      company: 'Müller & Söhne AG',
      phones: ['044 321 54 76'],
      customData: { Abteilung: 'Geschäftsleitung', Adresse: 'Bahnhofstrasse 1\nZürich' },
    },
    { name: 'Françoise Dubois', company: 'Crèmerie du Lac Sàrl', phones: ['+41 21 312 45 67'], customData: { Abteilung: 'Vente' } },
    { name: 'Jürg Bühler', company: 'Bühler, Zürich', phones: ['079 555 12 34'], customData: {} },
    { name: 'Anna "Nanni" Keller', company: 'Keller Söhne', phones: ['052 212 34 56'], customData: {} },
  ];

  it.each([
    ['Excel "CSV UTF-8" (byte-order mark, semicolons, CRLF)', excelCsvUtf8(SWISS_PHONE_BOOK), 'UTF-8', ';'],
    ['Excel "CSV" on Windows (Windows-1252, semicolons, CRLF)', excelCsvWindows1252(SWISS_PHONE_BOOK), 'Windows-1252', ';'],
    ['Excel "CSV" on Windows with commas', excelCsvWindows1252(SWISS_PHONE_BOOK, ','), 'Windows-1252', ','],
    ['Excel "Unicode Text" (UTF-16 LE, tabs, CRLF)', excelUnicodeText(SWISS_PHONE_BOOK), 'UTF-16LE', '\t'],
  ])('reads %s with its names intact', (_export, bytes, encoding, delimiter) => {
    const file = readDirectoryFile(bytes);
    expect({ encoding: file.encoding, delimiter: file.delimiter, misshapen: file.misshapenRows, skipped: file.skippedRows }).toEqual({
      encoding,
      delimiter,
      misshapen: [],
      skipped: 0,
    });
    expect(file.entries.map((e) => e.candidate)).toMatchObject(SWISS_CARDS);
  });

  it('gives a row the same id whichever way it was saved', () => {
    const plain = SWISS_PHONE_BOOK.map((row) => row.map((cell) => (/[,"\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',')).join('\n');
    const ids = cards(Buffer.from(plain)).map((c) => c.recordId);
    expect(ids).toHaveLength(4);
    for (const bytes of [excelCsvUtf8(SWISS_PHONE_BOOK), excelCsvWindows1252(SWISS_PHONE_BOOK), excelUnicodeText(SWISS_PHONE_BOOK)]) {
      expect(cards(bytes).map((c) => c.recordId)).toEqual(ids);
    }
  });

  it('skips a row with a stray comma, naming the line it starts on, and reads the rest', () => {
    const file = readDirectoryFile(
      Buffer.from(
        'name,company,phone,Notes\r\n' +
          'Anna Muster,Muster AG,044 668 18 00,"calls\r\nin the morning"\r\n' +
          '\r\n' +
          'Hans Müller,Müller AG, Zürich,044 321 54 76,\r\n' +
          'Beat Keller,Keller GmbH,079 123 45 67,\r\n' +
          'Chantal Favre,044 222 33 44\r\n',
      ),
    );
    expect(file.entries.map((e) => e.candidate.name)).toEqual(['Anna Muster', 'Beat Keller']);
    expect(file.headerFields).toBe(4);
    expect(file.misshapenRows).toEqual([
      { line: 5, fields: 5 },
      { line: 7, fields: 2 },
    ]);
  });

  it('passes over the rows of empty cells Excel writes below the data, without counting them', () => {
    const file = readDirectoryFile(excelCsvUtf8([...SWISS_PHONE_BOOK, ['', '', '', '', '', ''], ['', '', '', '', '', '']]));
    expect(file.entries).toHaveLength(4);
    expect(file.skippedRows).toBe(0);
    expect(file.misshapenRows).toEqual([]);
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['name,company,phone\nA;B;C;D\n', ','],
    ['name;company;phone\nA,B,C,D,E\n', ';'],
    ['name\tcompany\tphone\n', '\t'],
    ['\r\n\r\nname;company;phone\r\n', ';'],
    ['"Name, Vorname";Firma;Telefon\n', ';'],
    ['"name;x",company\n', ','],
    ['name;company,phone\n', ','],
    ['name\nAnna\n', ','],
    ['', ','],
  ])('finds the separator of %j', (text, delimiter) => {
    expect(detectDelimiter(text)).toBe(delimiter);
  });
});
