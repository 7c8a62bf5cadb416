import { normalizeIncoming } from '../../phone';
import { parseDirectoryCsv } from './directory-csv';
import { DirectoryIndex } from './directory-index';

const csv = [
  'name,company,phone,mobile,extension',
  'Anna Muster,Muster AG,044 668 18 00,078 907 22 28,',
  'Beat Keller,Keller GmbH,0041 79 123 45 67,,',
  'Chantal Favre,,41 79 222 33 44,,',
  'Kurt Meier,,+41 52 212 34 56 ext 12,,',
  'Nina Graf,Reception,,,201',
  ',Muster AG,+41 44 668 18 00,,',
  'Broken,,not a number,,',
].join('\n');

const index = new DirectoryIndex(parseDirectoryCsv(csv).entries, 'CH');
const find = (raw: string, region: 'CH' | 'DE' = 'CH') => index.find(normalizeIncoming(raw, region)!).map((c) => c.name);

describe('DirectoryIndex', () => {
  it.each([
    ['41446681800', ['Anna Muster', 'Muster AG']],
    ['41789072228', ['Anna Muster']],
    ['41791234567', ['Beat Keller']],
    ['41792223344', ['Chantal Favre']],
    ['41522123456', ['Kurt Meier']],
    ['201', ['Nina Graf']],
    ['202', []],
    ['41789072229', []],
    ['4930901820', []],
  ])('finds %s', (raw, expected) => {
    expect(find(raw)).toEqual(expected);
  });

  it('counts stored values it cannot read', () => {
    expect(index.unreadablePhones).toBe(1);
    expect(index.size).toBe(7);
  });

  it('reads numbers without a country code in the tenant region', () => {
    const german = new DirectoryIndex(parseDirectoryCsv('name,phone\nFabian,030 901820\n').entries, 'DE');
    expect(german.find(normalizeIncoming('4930901820', 'DE')!).map((c) => c.name)).toEqual(['Fabian']);
    expect(german.find(normalizeIncoming('4130901820', 'DE')!)).toEqual([]);
  });
});
