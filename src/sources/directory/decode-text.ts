import iconv from 'iconv-lite';

/** The encodings a phone book is read in: what Excel, LibreOffice, Numbers and Google Sheets write. */
export type TextEncodingName = 'UTF-8' | 'UTF-16LE' | 'UTF-16BE' | 'Windows-1252';

export interface DecodedText {
  /** The text, without its byte-order mark. */
  readonly text: string;
  readonly encoding: TextEncodingName;
}

const BYTE_ORDER_MARKS: ReadonlyArray<{ bytes: readonly number[]; encoding: TextEncodingName; label: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'UTF-8', label: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'UTF-16LE', label: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'UTF-16BE', label: 'utf-16be' },
];

/**
 * Reads a text file's bytes: a byte-order mark names the encoding (UTF-8, UTF-16 LE or BE); without
 * one, bytes that are valid UTF-8 are UTF-8, and anything else is Windows-1252, what Excel on Windows
 * saves as "CSV" (it covers Latin-1). Throws when a byte-order mark promises what the bytes do not hold.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  const mark = BYTE_ORDER_MARKS.find((m) => m.bytes.every((byte, i) => bytes[i] === byte));
  if (mark) {
    try {
      return { text: new TextDecoder(mark.label, { fatal: true }).decode(bytes), encoding: mark.encoding };
    } catch {
      throw new Error(`the file starts with a ${mark.encoding} byte-order mark but is not ${mark.encoding} text`);
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'UTF-8' };
  } catch {
    return { text: decodeWindows1252(bytes), encoding: 'Windows-1252' };
  }
}

/** iconv-lite, not `TextDecoder('windows-1252')`: Node 20.18.3 and later decode that as Latin-1 (nodejs/node#60888). */
function decodeWindows1252(bytes: Uint8Array): string {
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'windows-1252');
}
