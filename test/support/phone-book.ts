/** A small phone book with numbers stored the ways people type them. */
export const PHONE_BOOK_CSV = [
  'name,company,phone,mobile,extension,url,company_url,Department',
  'Anna Muster,Muster Treuhand AG,+41 44 668 18 00,078 907 22 28,,https://crm.example.ch/c/anna,https://crm.example.ch/a/muster,Accounting',
  ',Muster Treuhand AG,044 668 18 00,,,https://crm.example.ch/a/muster,https://crm.example.ch/a/muster,',
  'Beat Keller,Keller Holzbau GmbH,,079.123.45.67,,,,Management',
  'Ian Clarke,Clarke & Partners Ltd,+44 (0)20 7946 0018,,,,,Legal',
  'Julia Chen,Bay Analytics Inc.,+1 (415) 555-1212,,,,,Engineering',
  'Fabian Weber,Weber GmbH,+49 78 907 22 28,,,,,Purchasing',
  'Nina Graf,Reception,,,201,,,Front desk',
].join('\n');

export const TOKEN = 'acme-token-123';
export const ACME_TENANT = `TOKEN=${TOKEN}\nDIRECTORY_FILE=book.csv\n`;

type Rows = ReadonlyArray<readonly string[]>;

/** Rows as a spreadsheet saves them: a cell holding the separator, a quote or a line break in quotes, CRLF line ends. */
function spreadsheetText(rows: Rows, separator: string): string {
  const cell = (value: string): string =>
    value.includes(separator) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  return rows.map((row) => `${row.map(cell).join(separator)}\r\n`).join('');
}

/** Excel's "CSV UTF-8" where the decimal mark is a comma (CH, DE, FR): a byte-order mark, semicolons. */
export function excelCsvUtf8(rows: Rows): Buffer {
  return Buffer.from(`\uFEFF${spreadsheetText(rows, ';')}`, 'utf8');
}

/** Excel's plain "CSV" on Windows in those countries: Windows-1252 (ü is the byte 0xFC), semicolons. */
export function excelCsvWindows1252(rows: Rows, separator = ';'): Buffer {
  const text = spreadsheetText(rows, separator);
  if ([...text].some((c) => c.charCodeAt(0) > 0xff)) throw new Error('these fixtures hold only the Latin-1 part of Windows-1252');
  return Buffer.from(text, 'latin1');
}

/** Excel's "Unicode Text": UTF-16 little-endian with a byte-order mark, tabs. */
export function excelUnicodeText(rows: Rows): Buffer {
  return Buffer.from(`\uFEFF${spreadsheetText(rows, '\t')}`, 'utf16le');
}

/** A Swiss phone book with what trips a CSV reader: umlauts and accents, a comma, quotes, a line break in a cell. */
export const SWISS_PHONE_BOOK: Rows = [
  ['name', 'company', 'phone', 'mobile', 'Abteilung', 'Adresse'],
  ['Hans Müller', 'Müller & Söhne AG', '044 321 54 76', '', 'Geschäftsleitung', 'Bahnhofstrasse 1\nZürich'],
  ['Françoise Dubois', 'Crèmerie du Lac Sàrl', '+41 21 312 45 67', '', 'Vente', ''],
  ['Jürg Bühler', 'Bühler, Zürich', '', '079 555 12 34', '', ''],
  ['Anna "Nanni" Keller', 'Keller Söhne', '052 212 34 56', '', '', ''],
];
