import { SourceError } from '../../core/source-error';
import { select } from './response-mapping';
import { readErrorBody, readXmlAnswer } from './xml-answer';

const FEED = `<?xml version="1.0" encoding="utf-8" ?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:tel="http://tel.search.ch/api/spec/result/1.0/">
  <entry>
    <id>urn:uuid:b15768ab56be5411</id>
    <title type="text">Muster &amp; Co</title>
    <link href="https://search.ch/tel/b15768ab56be5411" rel="alternate" type="text/html" />
    <tel:id>b15768ab56be5411</tel:id>
    <tel:zip>0800</tel:zip>
    <tel:phone>+41446681800</tel:phone>
    <tel:extra type="mobile">+41789072228</tel:extra>
    <tel:extra type="email">info@muster.example</tel:extra>
  </entry>
</feed>`;

describe('readXmlAnswer', () => {
  it("reads a feed of one entry as a list, keeps Atom's id apart from tel:id, and every value as text", () => {
    const answer = readXmlAnswer(FEED, 'search.ch');
    const [entry] = select('$.feed[*].entry[*]', answer);
    expect(select('$.id', entry).flat()).toEqual(['urn:uuid:b15768ab56be5411']);
    expect(select("$['tel:id']", entry).flat()).toEqual(['b15768ab56be5411']);
    // Not numbers: the + and the leading zero stay.
    expect(select("$['tel:phone']", entry).flat()).toEqual(['+41446681800']);
    expect(select("$['tel:zip']", entry).flat()).toEqual(['0800']);
    expect(select("$['tel:extra'][*]._text", entry)).toEqual(['+41789072228', 'info@muster.example']);
    expect(select("$['tel:extra'][*]._type", entry)).toEqual(['mobile', 'email']);
    expect(select('$.title[0]._text', entry)).toEqual(['Muster & Co']);
    expect(select('$.link[0]._href', entry)).toEqual(['https://search.ch/tel/b15768ab56be5411']);
  });

  it('refuses a DOCTYPE (entities that expand without end) and XML that is not well-formed, as UNAVAILABLE', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><feed>&lol2;</feed>`;
    expect(() => readXmlAnswer(bomb, 'search.ch')).toThrow(new SourceError('UNAVAILABLE', 'search.ch answered XML with a DOCTYPE: refused'));
    expect(() => readXmlAnswer('<feed><entry></feed>', 'search.ch')).toThrow(/search\.ch answered XML that cannot be read \(line 1: /);
    expect(() => readXmlAnswer('{"json": true}', 'search.ch')).toThrow(SourceError);
  });
});

describe('readErrorBody', () => {
  it('reads an XML error body for the template paths, and leaves JSON (already parsed) and other text as they came', () => {
    const body = readErrorBody('<feed xmlns:tel="x"><tel:errorMessage>Invalid key</tel:errorMessage></feed>');
    expect(select("$.feed[*]['tel:errorMessage']", body).flat()).toEqual(['Invalid key']);
    expect(readErrorBody({ message: 'x' })).toEqual({ message: 'x' });
    expect(readErrorBody('Bad gateway')).toBe('Bad gateway');
    expect(readErrorBody('<html><body>broken')).toBeUndefined();
  });
});
