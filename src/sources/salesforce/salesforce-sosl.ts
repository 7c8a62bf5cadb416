import type { PhoneIncomingNumber } from '../../phone';

/** SOSL's reserved characters inside `FIND {…}`; each must be escaped with a backslash. */
const RESERVED = /[?&|!{}[\]()^~*:\\"'+-]/g;

export function escapeSoslTerm(term: string): string {
  return term.replace(RESERVED, (c) => `\\${c}`);
}

/**
 * The digit strings a stored phone may reduce to: E.164 digits, national with trunk prefix, NSN, `00`
 * international, and, where the country has a trunk prefix, the `+41 (0)78…` / `0041 (0)78…` forms.
 */
export function phoneSearchTerms(number: PhoneIncomingNumber): string[] {
  const withTrunk = number.national !== number.nationalSignificant ? [`${number.callingCode}${number.national}`, `00${number.callingCode}${number.national}`] : [];
  return [...new Set([number.e164Digits, number.national, number.nationalSignificant, number.international00, ...withTrunk])];
}

export interface ReturningClause {
  readonly object: string;
  readonly fields: readonly string[];
  readonly where?: string;
  readonly limit?: number;
}

/** `FIND {a OR b} IN PHONE FIELDS RETURNING Contact(Id, Name …), …`: one search for every object. */
export function buildPhoneSosl(terms: readonly string[], returning: readonly ReturningClause[]): string {
  const find = terms.map(escapeSoslTerm).join(' OR ');
  const clauses = returning.map(({ object, fields, where, limit }) => {
    const tail = [where ? `WHERE ${where}` : '', limit ? `LIMIT ${limit}` : ''].filter((t) => t !== '').join(' ');
    return `${object}(${fields.join(', ')}${tail ? ` ${tail}` : ''})`;
  });
  return `FIND {${find}} IN PHONE FIELDS RETURNING ${clauses.join(', ')}`;
}
