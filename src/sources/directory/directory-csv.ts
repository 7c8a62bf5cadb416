import { createHash } from 'node:crypto';
import { CsvError, parse, type CsvErrorCode } from 'csv-parse/sync';
import type { RecordIdPatterns } from '../../core/record-id';
import type { Candidate } from '../../core/source';
import { decodeText, type TextEncodingName } from './decode-text';

export const DIRECTORY_SOURCE_ID = 'directory';
/** Row ids: the first 16 characters of a SHA-256 of the row, base64url. */
export const DIRECTORY_RECORD_IDS: RecordIdPatterns = { entry: /^[A-Za-z0-9_-]{16}$/ };
const KNOWN_COLUMNS = ['name', 'company', 'phone', 'mobile', 'extension', 'url', 'company_url'] as const;
type KnownColumn = (typeof KNOWN_COLUMNS)[number];
const PHONE_COLUMNS = ['phone', 'mobile', 'extension'] as const;

export interface DirectoryEntry {
  readonly candidate: Candidate;
  /** Values of the `extension` column: internal numbers, matched as digits only. */
  readonly extensions: readonly string[];
}

export type Delimiter = ',' | ';' | '\t';
const DELIMITERS: readonly Delimiter[] = [',', ';', '\t'];

/** A row left out because its number of fields is not the header's: a stray separator, most often. */
export interface MisshapenRow {
  /** The line of the file on which the row starts, counting from 1. */
  readonly line: number;
  readonly fields: number;
}

export interface ParsedDirectory {
  readonly entries: readonly DirectoryEntry[];
  /** Rows left out because they name nobody (no name, no company) or hold no number. */
  readonly skippedRows: number;
  /** The separator found in the header row. */
  readonly delimiter: Delimiter;
  readonly headerFields: number;
  /** Rows left out because their number of fields differs from the header's, in file order. */
  readonly misshapenRows: readonly MisshapenRow[];
}

export interface DirectoryFile extends ParsedDirectory {
  readonly encoding: TextEncodingName;
}

/** Reads a phone book file as saved by Excel, LibreOffice, Google Sheets or an editor: see `decodeText`. */
export function readDirectoryFile(bytes: Uint8Array): DirectoryFile {
  const { text, encoding } = decodeText(bytes);
  return { ...parseDirectoryCsv(text), encoding };
}

/**
 * Reads the phone book CSV: a header row with `name`, `company`, `phone`, `mobile`, `extension`,
 * `url`, `company_url` (any case, any order); every other column goes to `CustomData` under its header.
 * Fields are separated by what separates the header's (see `detectDelimiter`). A row with another
 * number of fields than the header is left out and reported; a row of empty fields is passed over.
 * Throws with a readable reason when the file is not such a CSV.
 */
export function parseDirectoryCsv(text: string): ParsedDirectory {
  const content = text.replace(/^\uFEFF/, '');
  const delimiter = detectDelimiter(content);
  const [headerRow, ...body] = readRows(content, delimiter);
  if (!headerRow) throw new Error('the file is empty: it needs a header row (name,company,phone,mobile,extension,…)');

  const header = headerRow.fields;
  const columns = header.map((h) => h.trim());
  const index = new Map<KnownColumn, number>();
  columns.forEach((column, i) => {
    const known = KNOWN_COLUMNS.find((k) => k === column.toLowerCase());
    if (known && !index.has(known)) index.set(known, i);
  });
  if (!index.has('name') && !index.has('company')) {
    throw new Error(`the header row has neither a name nor a company column (found: ${columns.join(', ')})`);
  }
  if (!PHONE_COLUMNS.some((c) => index.has(c))) {
    throw new Error(`the header row has no phone, mobile or extension column (found: ${columns.join(', ')})`);
  }
  const customColumns = columns
    .map((label, i) => ({ label, i }))
    .filter(({ i }) => ![...index.values()].includes(i) && columns[i] !== '');

  const entries: DirectoryEntry[] = [];
  const misshapenRows: MisshapenRow[] = [];
  let skippedRows = 0;
  for (const { fields: row, line } of body) {
    if (row.every((field) => field === '')) continue;
    if (row.length !== header.length) {
      misshapenRows.push({ line, fields: row.length });
      continue;
    }
    const cell = (column: KnownColumn): string => {
      const i = index.get(column);
      return i === undefined ? '' : (row[i] ?? '');
    };
    const name = cell('name');
    const company = cell('company');
    const phones = [cell('phone'), cell('mobile')].filter((p) => p !== '');
    const extensions = cell('extension') === '' ? [] : [cell('extension')];
    if ((name === '' && company === '') || phones.length + extensions.length === 0) {
      skippedRows++;
      continue;
    }
    const customData: Record<string, string> = {};
    for (const { label, i } of customColumns) {
      const value = row[i] ?? '';
      if (value !== '') customData[label] = value;
    }
    entries.push({
      extensions,
      candidate: {
        sourceId: DIRECTORY_SOURCE_ID,
        objectType: 'entry',
        recordId: stableRowId(name, company, phones, extensions),
        kind: name === '' ? 'company' : 'person',
        name: name === '' ? company : name,
        company: name === '' ? undefined : company || undefined,
        contactUri: cell('url') || undefined,
        companyUri: cell('company_url') || undefined,
        phones: [...phones, ...extensions],
        customData,
      },
    });
  }
  return { entries, skippedRows, delimiter, headerFields: header.length, misshapenRows };
}

/**
 * The separator of the header row (the first line that is not empty): the most frequent of `,` `;`
 * and tab outside quotes, a comma on a tie. Excel writes `;` where the decimal mark is a comma
 * (Switzerland, Germany, France), and tabs as "Unicode Text".
 */
export function detectDelimiter(text: string): Delimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  let started = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) {
      if (started) break;
      continue;
    } else {
      const count = quoted ? undefined : counts.get(char);
      if (count !== undefined) counts.set(char, count + 1);
    }
    started = true;
  }
  return DELIMITERS.reduce((best, d) => ((counts.get(d) ?? 0) > (counts.get(best) ?? 0) ? d : best));
}

interface Row {
  readonly fields: string[];
  /** The line on which the row starts. */
  readonly line: number;
}

/** The file's rows, each with the line it starts on; throws naming the line of a misplaced or unclosed quote. */
function readRows(text: string, delimiter: Delimiter): Row[] {
  const bytes = Buffer.from(text, 'utf8');
  const lines = new RowLines(bytes);
  const rows: Row[] = [];
  try {
    parse(bytes, {
      delimiter,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      on_record: (fields, { bytes: end }) => {
        rows.push({ fields, line: lines.rowEndingAt(end) });
        return null;
      },
    });
  } catch (error) {
    throw new Error(quoteProblem(error, lines.nextRow()), { cause: error });
  }
  return rows;
}

/** Said without the cell's value: the reason is logged, and cells hold names and numbers. */
const QUOTE_PROBLEMS: Partial<Record<CsvErrorCode, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'has a quote that is never closed',
  INVALID_OPENING_QUOTE: 'has a quote inside a cell: quote the whole cell and double the quote ("")',
  CSV_INVALID_CLOSING_QUOTE: 'has text after the closing quote of a cell',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'has text after the closing quote of a cell',
};

function quoteProblem(error: unknown, line: number): string {
  const problem = error instanceof CsvError ? QUOTE_PROBLEMS[error.code] : undefined;
  return `the row on line ${line} ${problem ?? `does not parse: ${error instanceof Error ? error.message : String(error)}`}`;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Line numbers of rows, from the byte offsets at which csv-parse ends them (its own line count
 * counts CRLF twice inside a quoted cell). Rows are asked for in file order: one pass over the file.
 */
class RowLines {
  private offset = 0;
  private line = 1;

  constructor(private readonly bytes: Buffer) {}

  /** The line on which the row that ends at byte `end` starts, past the empty lines before it. */
  rowEndingAt(end: number): number {
    const start = this.nextRow(end);
    this.advance(end, false);
    return start;
  }

  /** The line on which the next row starts. */
  nextRow(end = this.bytes.length): number {
    this.advance(end, true);
    return this.line;
  }

  private advance(end: number, stopAtText: boolean): void {
    for (; this.offset < end; this.offset++) {
      const byte = this.bytes[this.offset];
      if (byte !== CR && byte !== LF) {
        if (stopAtText) return;
      } else if (!(byte === LF && this.bytes[this.offset - 1] === CR)) {
        this.line++;
      }
    }
  }
}

/** Row numbers shift when the file is edited; the content does not. */
function stableRowId(name: string, company: string, phones: string[], extensions: string[]): string {
  return createHash('sha256')
    .update([name, company, ...phones, '|', ...extensions].join('\n'))
    .digest('base64url')
    .slice(0, 16);
}
