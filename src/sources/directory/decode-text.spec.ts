import { decodeText } from './decode-text';

const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();

describe('decodeText', () => {
  it.each([
    ['UTF-8 with a byte-order mark (Excel "CSV UTF-8")', Buffer.from('\uFEFFname;phone\r\nHans Müller;044\r\n'), 'UTF-8'],
    ['UTF-8 without one (LibreOffice, Google Sheets, editors)', Buffer.from('name,phone\nZoë Ångström,044\n'), 'UTF-8'],
    ['plain ASCII', Buffer.from('name,phone\nAnna,044\n'), 'UTF-8'],
    ['UTF-16 LE with a byte-order mark (Excel "Unicode Text")', Buffer.from('\uFEFFname\tphone\r\nHans Müller\t044\r\n', 'utf16le'), 'UTF-16LE'],
    ['UTF-16 BE with a byte-order mark', utf16be('\uFEFFname,phone\nHans Müller,044\n'), 'UTF-16BE'],
  ])('reads %s', (_case, bytes, encoding) => {
    const decoded = decodeText(bytes);
    expect(decoded.encoding).toBe(encoding);
    expect(decoded.text).not.toMatch(/^\uFEFF/);
    expect(decoded.text).not.toContain('\uFFFD');
  });

  it('reads bytes that are not UTF-8 as Windows-1252 (Excel "CSV" on Windows), € and umlauts included', () => {
    // "Hans Müller;Café Crème;5 €" as Excel writes it: ü 0xFC, é 0xE9, è 0xE8, € 0x80.
    const bytes = Buffer.from([
      ...Buffer.from('Hans M'), 0xfc, ...Buffer.from('ller;Caf'), 0xe9, ...Buffer.from(' Cr'), 0xe8, ...Buffer.from('me;5 '), 0x80,
    ]);
    expect(decodeText(bytes)).toEqual({ text: 'Hans Müller;Café Crème;5 €', encoding: 'Windows-1252' });
  });

  it('reads the characters Windows-1252 has where Latin-1 has none (quotes, dashes, Š, ž, Œ, ™)', () => {
    // „Müller“ – Šimic, Œuvre ž™ as Excel on Windows writes them.
    const bytes = Buffer.from([
      0x84, ...Buffer.from('M'), 0xfc, ...Buffer.from('ller'), 0x93, ...Buffer.from(' '), 0x96, ...Buffer.from(' '),
      0x8a, ...Buffer.from('imic, '), 0x8c, ...Buffer.from('uvre '), 0x9e, 0x99,
    ]);
    expect(decodeText(bytes).text).toBe('\u201EMüller\u201C \u2013 \u0160imic, \u0152uvre \u017E\u2122');
  });

  it('keeps the umlauts of a UTF-8 file, with or without its byte-order mark', () => {
    expect(decodeText(Buffer.from('\uFEFFHans Müller')).text).toBe('Hans Müller');
    expect(decodeText(Buffer.from('Hans Müller')).text).toBe('Hans Müller');
    expect(decodeText(Buffer.from('\uFEFFHans Müller', 'utf16le')).text).toBe('Hans Müller');
  });

  it('refuses bytes that break the promise of their byte-order mark', () => {
    expect(() => decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0x4d, 0xfc]))).toThrow('starts with a UTF-8 byte-order mark but is not UTF-8 text');
    expect(() => decodeText(Buffer.from([0xff, 0xfe, 0x41]))).toThrow('UTF-16LE');
  });
});
