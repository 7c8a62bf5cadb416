import { SourceError } from '../../core/source-error';
import { LAST_DIGITS_FORM, NAMED_NUMBER_FORMS } from './template-format';

/**
 * The placeholders of a template's strings: `{{number.e164}}`, `{{param.COMPANY}}`, `{{record.id}}`,
 * optionally through a literal filter (`{{number.e164 | odata}}`). A string is split once into text and
 * placeholders; each value is then encoded for where the string goes (`render`), in one pass, so a
 * value is never read again as a template, and a caller's number never leaves its place.
 */

export type PlaceholderSource = 'number' | 'param' | 'record' | 'call' | 'contact' | 'previous' | 'user';

/**
 * What a workflow's write may say of the call (`{{call.subject}}`): the facts every CRM writes
 * (src/calls/call-facts.ts), the key of the write (`call.key`, the same for every try of it) and typed
 * values (`call.outgoing` a boolean, `call.talkSeconds` a number) that keep their type when a JSON value is
 * the placeholder alone.
 */
export const CALL_VALUES = [
  'key',
  'subject',
  'description',
  'direction',
  'outgoing',
  'outcome',
  'outcomeLabel',
  'startedAt',
  'answeredAt',
  'endedAt',
  'talkSeconds',
  'talkMinutes',
  'ringSeconds',
  'externalNumber',
  'externalName',
  'externalFirstName',
  'externalLastName',
  'externalLabel',
  'internalNumber',
  'internalName',
] as const;
export type CallValue = (typeof CALL_VALUES)[number];

/** `{{contact.accountId}}`: the contact's id when its object type is `account`, no value otherwise. */
export const CONTACT_ID_OF_TYPE = /^([A-Za-z][A-Za-z0-9_]*)Id$/;
/** A literal of a query language, built around the value: `odata` `'…'` with `'` doubled; `quoted` `"…"` with `\` and `"` escaped. */
export type LiteralFilter = 'odata' | 'quoted';
export const LITERAL_FILTERS: readonly LiteralFilter[] = ['odata', 'quoted'];

export interface Placeholder {
  readonly source: PlaceholderSource;
  readonly name: string;
  readonly filter?: LiteralFilter;
}

export type TemplatePart = string | Placeholder;

/** Where a rendered string goes; each place has its own encoding (or refuses what it cannot carry). */
export type Place = 'path' | 'query' | 'header' | 'json' | 'link';

const PLACEHOLDER = /\{\{\s*([a-z]+)\.([A-Za-z0-9_]+)\s*(?:\|\s*([a-z]+)\s*)?\}\}/g;

export class PlaceholderSyntaxError extends Error {}

/** Splits a template string; throws `PlaceholderSyntaxError` for a malformed or unknown placeholder. */
export function parseTemplateString(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const literal = text.slice(at, match.index);
    checkLiteral(literal);
    if (literal) parts.push(literal);
    parts.push(placeholderOf(match[1]!, match[2]!, match[3]));
    at = match.index + match[0].length;
  }
  const rest = text.slice(at);
  checkLiteral(rest);
  if (rest) parts.push(rest);
  return parts;
}

function checkLiteral(literal: string): void {
  if (literal.includes('{{') || literal.includes('}}')) {
    throw new PlaceholderSyntaxError(`malformed placeholder in ${JSON.stringify(literal)}: write {{number.<form>}}, {{param.<NAME>}} or {{record.id}}, optionally with | odata or | quoted`);
  }
}

function placeholderOf(source: string, name: string, filter: string | undefined): Placeholder {
  if (filter !== undefined && !(LITERAL_FILTERS as readonly string[]).includes(filter)) {
    throw new PlaceholderSyntaxError(`unknown filter "${filter}" in {{${source}.${name} | ${filter}}}: use ${LITERAL_FILTERS.join(' or ')}`);
  }
  const withFilter = filter === undefined ? {} : { filter: filter as LiteralFilter };
  switch (source) {
    case 'number':
      if (name !== 'form' && !(NAMED_NUMBER_FORMS as readonly string[]).includes(name) && !LAST_DIGITS_FORM.test(name)) {
        throw new PlaceholderSyntaxError(`unknown number form "${name}": use one of ${NAMED_NUMBER_FORMS.join(', ')}, last4 … last15, or form (in a forEach request)`);
      }
      return { source, name, ...withFilter };
    case 'param':
      return { source, name, ...withFilter };
    case 'record':
      if (name !== 'id') throw new PlaceholderSyntaxError(`unknown record value "${name}": only {{record.id}} is known`);
      return { source, name, ...withFilter };
    case 'call':
      if (!(CALL_VALUES as readonly string[]).includes(name)) throw new PlaceholderSyntaxError(`unknown call value "${name}": use one of ${CALL_VALUES.join(', ')}`);
      return { source, name, ...withFilter };
    case 'contact':
      // `contact.<type>Id`: the contact's id only when it is of that type (a binding that differs by type).
      if (name !== 'id' && name !== 'type' && !CONTACT_ID_OF_TYPE.test(name)) {
        throw new PlaceholderSyntaxError(`unknown contact value "${name}": use {{contact.id}}, {{contact.type}} or {{contact.<type>Id}} (its id when it is of that type)`);
      }
      return { source, name, ...withFilter };
    case 'previous':
      if (name !== 'id' && name !== 'type') throw new PlaceholderSyntaxError(`unknown previous value "${name}": use {{previous.id}} or {{previous.type}}`);
      return { source, name, ...withFilter };
    case 'user':
      if (name !== 'id') throw new PlaceholderSyntaxError(`unknown user value "${name}": only {{user.id}} is known`);
      return { source, name, ...withFilter };
    default:
      throw new PlaceholderSyntaxError(`unknown placeholder {{${source}.${name}}}: use number.<form>, param.<NAME>, record.id, or in a workflow call.<value>, contact.id, previous.id, user.id`);
  }
}

export function placeholdersOf(parts: readonly TemplatePart[]): Placeholder[] {
  return parts.filter((part): part is Placeholder => typeof part !== 'string');
}

/** A placeholder's value: text, or a number or boolean of a call (text wherever it goes but a JSON value of its own). */
export type PlaceholderValue = string | number | boolean;

/** What a placeholder stands for in one request; undefined for a parameter the tenant did not set (or a call without that value). */
export type PlaceholderValues = (placeholder: Placeholder) => PlaceholderValue | undefined;

/** An OData string literal: `'O''Brien'`. */
export function odataLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A double-quoted literal of the usual filter syntaxes: `"a \"b\" c\\d"`. */
export function quotedLiteral(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function applyFilter(value: string, filter: LiteralFilter | undefined): string {
  if (filter === 'odata') return odataLiteral(value);
  if (filter === 'quoted') return quotedLiteral(value);
  return value;
}

/** Control characters: no place of a request carries them as data (and no number or setting holds them). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a value was refused: said in the error, without the value (it may be a secret or a number). */
function refuse(placeholder: Placeholder, place: Place, why: string): SourceError {
  return new SourceError('BAD_REQUEST', `the value of {{${placeholder.source}.${placeholder.name}}} cannot go into the ${place}: ${why}; nothing was sent`, { vendorCode: 'TEMPLATE_VALUE_REFUSED' });
}

/**
 * A rendered string for its place:
 * - `path`: each value becomes part of one path segment (`encodeURIComponent`: `/ ? # %` encoded); a
 *   value that would be a whole `.` or `..` segment is refused;
 * - `query`: the whole value is encoded as a query value by the caller (`encodeQueryValue`); here the
 *   parts are joined;
 * - `header`: refused if a value holds control characters or characters outside Latin-1;
 * - `json`: joined; `JSON.stringify` of the body escapes it;
 * - `link`: like `path`, except `{{param.BASE_URL}}` at the start, inserted as it is (a checked URL).
 * Control characters are refused in every place. Undefined when a placeholder's parameter is unset.
 */
export function render(parts: readonly TemplatePart[], place: Place, values: PlaceholderValues): string | undefined {
  let out = '';
  for (const [index, part] of parts.entries()) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const given = values(part);
    if (given === undefined) return undefined;
    const raw = String(given);
    // A call's description has its lines: JSON escapes them; no other place carries them.
    if (CONTROL.test(place === 'json' && part.source === 'call' ? raw.replace(/[\n\r\t]/g, '') : raw)) throw refuse(part, place, 'it holds control characters');
    const value = applyFilter(raw, part.filter);
    if (place === 'link' && index === 0 && part.source === 'param' && part.name === 'BASE_URL') {
      out += value;
    } else if (place === 'path' || place === 'link') {
      const encoded = encodeURIComponent(value);
      if (encoded === '.' || encoded === '..' || encoded === '') {
        const before = out.at(-1);
        const after = parts[index + 1];
        const wholeSegment = (before === undefined || before === '/') && (after === undefined || (typeof after === 'string' && after.startsWith('/')));
        if (wholeSegment) throw refuse(part, place, 'it would be an empty, "." or ".." path segment');
      }
      out += encoded;
    } else if (place === 'header') {
      if (!/^[\u0020-\u007e\u00a0-\u00ff]*$/.test(value)) throw refuse(part, place, 'it holds characters a header cannot carry');
      out += value;
    } else {
      out += value;
    }
  }
  return out;
}

/** A query value (or name) as it goes into the URL: every reserved character percent-encoded, space as `%20`. */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value);
}
