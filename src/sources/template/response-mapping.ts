import { JSONPath } from 'jsonpath-plus';
import type { Candidate, RecordKind } from '../../core/source';
import type { ResponseMapping } from './template-format';

/** Records read from one answer, at most: a CRM that answers more for one number is not searching by number. */
export const MAX_RECORDS_PER_ANSWER = 50;
const MAX_TEXT = 500;

type Json = null | boolean | number | string | object | unknown[];

/**
 * The values a JSONPath selects, with script evaluation off (`eval: false`): a template's paths are
 * plain paths (the loader refuses `(`, `?`, `@` and backticks), and jsonpath-plus never evaluates code,
 * whatever its version's sandbox does.
 */
export function select(path: string, json: unknown): unknown[] {
  if (json === undefined || json === '') return [];
  const found: unknown = JSONPath({ path, json: json as Json, eval: false, wrap: true });
  return Array.isArray(found) ? found : [];
}

/**
 * Characters a JSONPath of a template may not hold: those of scripts and filters, and jsonpath-plus' own
 * escapes. An `@` is allowed only inside a quoted name in brackets, of letters, digits and `_ . @ -`
 * (OData's annotations: `$['_parentcustomerid_value@OData.Community.Display.V1.FormattedValue']`): without
 * parentheses it can start no script, filter or type selector.
 */
export const UNSAFE_PATH_CHARACTERS = /[()?`]|(?<!\['[\w.@-]*)@|@(?![\w.@-]*'\])/;

/**
 * Scalars become text; lists are flattened one level; objects and empty values are left out, `false`
 * among them (Odoo answers an empty field as `false`: no phone "false", no company "false").
 */
function texts(values: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const value of values.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))) {
    if (typeof value === 'string' && value.trim() !== '') out.push(value.trim().slice(0, MAX_TEXT));
    else if (typeof value === 'number' && Number.isFinite(value)) out.push(String(value));
    else if (value === true) out.push('true');
  }
  return out;
}

function first(path: string | undefined, record: unknown): string | undefined {
  return path === undefined ? undefined : texts(select(path, record))[0];
}

function kindOf(mapping: ResponseMapping, record: unknown): RecordKind {
  if (typeof mapping.kind === 'string') return mapping.kind;
  const value = first(mapping.kind.path, record);
  // `*`: any value of the field means a company (multisource's companyname, null for a person).
  return value !== undefined && (mapping.kind.company.includes(value) || mapping.kind.company.includes('*')) ? 'company' : 'person';
}

/** A time as the CRM wrote it: ISO 8601 (or anything `Date` reads), or seconds / milliseconds since 1970. */
function timeOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
  const date = number === undefined ? new Date(value) : new Date(number < 1e11 ? number * 1000 : number);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The record's own address from the answer, only as an absolute http(s) URL (never a `javascript:` link on a card). */
function ownLink(path: string | undefined, record: unknown): string | undefined {
  const value = first(path, record);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export interface MappingContext {
  readonly sourceId: string;
  /** The record's link from a link template and its id; undefined when a parameter it needs is unset. */
  readonly link: (which: 'contactUrl' | 'companyUrl', recordId: string) => string | undefined;
}

export interface MappedAnswer {
  readonly candidates: Candidate[];
  /** Why records were left out (without their content): ids of another form, no phone, too many. */
  readonly notes: string[];
}

/**
 * The candidates of one answer. A record is left out when its id is missing or not of `idPattern`'s
 * form (its id would be handed to workflows), or when it has no phone value (the core could not verify
 * it anyway). The core checks the phones of every candidate against the caller's number.
 */
export function mapAnswer(answer: unknown, mapping: ResponseMapping, idPattern: RegExp, context: MappingContext): MappedAnswer {
  const records = select(mapping.records, answer).filter((r) => typeof r === 'object' && r !== null);
  const notes: string[] = [];
  if (records.length > MAX_RECORDS_PER_ANSWER) notes.push(`${records.length} records answered; the first ${MAX_RECORDS_PER_ANSWER} read`);
  let badIds = 0;
  let noPhones = 0;
  const candidates: Candidate[] = [];
  for (const record of records.slice(0, MAX_RECORDS_PER_ANSWER)) {
    const recordId = first(mapping.id, record);
    if (recordId === undefined || !idPattern.test(recordId)) {
      badIds += 1;
      continue;
    }
    const phones = [...new Set(mapping.phones.flatMap((path) => texts(select(path, record))))];
    if (phones.length === 0) {
      noPhones += 1;
      continue;
    }
    const company = first(mapping.company, record);
    const name = mapping.name.flatMap((path) => texts(select(path, record)).slice(0, 1)).join(' ');
    const customData: Record<string, string> = {};
    for (const [label, path] of Object.entries(mapping.customData)) {
      if (typeof path !== 'string') {
        customData[label] = path.value;
        continue;
      }
      const values = texts(select(path, record));
      if (values.length > 0) customData[label] = values.join(', ').slice(0, MAX_TEXT);
    }
    const contactUri = mapping.contactUrl === undefined ? ownLink(mapping.link, record) : context.link('contactUrl', recordId);
    const companyUri = mapping.companyUrl === undefined ? undefined : context.link('companyUrl', recordId);
    const modifiedAt = timeOf(first(mapping.modified, record));
    candidates.push({
      sourceId: context.sourceId,
      objectType: mapping.objectType,
      recordId,
      kind: kindOf(mapping, record),
      name: name || company || '',
      phones,
      customData,
      ...(company === undefined ? {} : { company }),
      ...(contactUri === undefined ? {} : { contactUri }),
      ...(companyUri === undefined ? {} : { companyUri }),
      ...(modifiedAt === undefined ? {} : { modifiedAt }),
    });
  }
  if (badIds > 0) notes.push(`${badIds} record(s) left out: id missing or not of the form ${idPattern.source}`);
  if (noPhones > 0) notes.push(`${noPhones} record(s) left out: no phone value to verify`);
  return { candidates, notes };
}
