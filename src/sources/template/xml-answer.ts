import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SourceError } from '../../core/source-error';

/**
 * Every element a list (so a feed of one entry reads as a feed of many), named as the answer writes it
 * (`tel:phone`, read as `$['tel:phone']`: Atom's own `id` and search.ch's `tel:id` stay apart), attributes
 * as `_name`, an element's text beside its attributes as `_text`, and every value kept as text: a phone
 * `+41446681800` or a postcode `0800` must not become a number.
 */
const parser = new XMLParser({
  removeNSPrefix: false,
  ignoreAttributes: false,
  attributeNamePrefix: '_',
  textNodeName: '_text',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
});

/** A DOCTYPE can declare entities that expand without end; no feed a template reads has one. */
const DOCTYPE = /<!DOCTYPE/i;

/**
 * An XML answer (an Atom feed) as the structure a template's JSONPaths read: `$.feed[*].entry[*]`, and
 * in an entry `$['tel:name']`, `$['tel:extra'][*]._text`, `$.link[0]._href`. Throws UNAVAILABLE for an answer that is not well-formed XML
 * or carries a DOCTYPE.
 */
export function readXmlAnswer(text: string, crmName: string): unknown {
  if (DOCTYPE.test(text)) throw new SourceError('UNAVAILABLE', `${crmName} answered XML with a DOCTYPE: refused`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new SourceError('UNAVAILABLE', `${crmName} answered XML that cannot be read (line ${valid.err.line}: ${valid.err.msg})`);
  return parser.parse(text) as unknown;
}

/** An error answer's body, read as XML when it is XML text (for the template's `errors` paths); else as it came. */
export function readErrorBody(body: unknown): unknown {
  if (typeof body !== 'string' || !body.trimStart().startsWith('<')) return body;
  try {
    return readXmlAnswer(body, 'the CRM');
  } catch {
    return undefined;
  }
}
