import type { CountryCode } from 'libphonenumber-js/max';
import { readStoredPhone, type IncomingNumber } from '../../phone';
import type { Candidate } from '../../core/source';
import type { DirectoryEntry } from './directory-csv';

/** Phone book indexed by every E.164 a stored value can mean, and by extension: no scan per lookup. */
export class DirectoryIndex {
  private readonly byKey = new Map<string, Candidate[]>();
  /** Stored phone values that no reading could turn into a number. */
  readonly unreadablePhones: number;
  readonly size: number;

  constructor(entries: readonly DirectoryEntry[], region: CountryCode) {
    let unreadable = 0;
    for (const { candidate, extensions } of entries) {
      const keys = new Set<string>();
      for (const phone of candidate.phones) {
        if (extensions.includes(phone)) continue;
        const meanings = possibleE164(phone, region);
        if (meanings.length === 0) unreadable++;
        meanings.forEach((e164) => keys.add(e164));
      }
      extensions.forEach((ext) => keys.add(extensionKey(ext.replace(/\D/g, ''))));
      for (const key of keys) {
        const list = this.byKey.get(key);
        if (list) list.push(candidate);
        else this.byKey.set(key, [candidate]);
      }
    }
    this.unreadablePhones = unreadable;
    this.size = entries.length;
  }

  find(number: IncomingNumber): readonly Candidate[] {
    return this.byKey.get(DirectoryIndex.keyOf(number)) ?? [];
  }

  /** The key a number is found by: its E.164, or `ext:<digits>`. */
  static keyOf(number: IncomingNumber): string {
    return number.kind === 'extension' ? extensionKey(number.extension) : number.e164;
  }
}

function extensionKey(digits: string): string {
  return `ext:${digits}`;
}

function possibleE164(stored: string, region: CountryCode): string[] {
  const { asWritten, withAssumedPlus } = readStoredPhone(stored, region);
  const meanings = [asWritten?.number, withAssumedPlus?.number].filter((m): m is NonNullable<typeof m> => !!m);
  return [...new Set(meanings)];
}
