import type { CountryCode } from 'libphonenumber-js/max';
import { LRUCache } from 'lru-cache';
import { normalizeIncoming, tooLongForANumber, type IncomingNumber } from './incoming-number';

/** Enough for every call ringing at once; a call that rings on several phones is looked up by each. */
export const RECENT_NUMBERS = 1_000;

/**
 * `normalizeIncoming` for the numbers read lately: reading one costs as much as the rest of a cached
 * lookup, and a cached lookup is, by definition, a number asked for again.
 */
export class RecentNumbers {
  private readonly readings = new LRUCache<string, { readonly number: IncomingNumber | undefined }>({ max: RECENT_NUMBERS });

  read(raw: string, region: CountryCode): IncomingNumber | undefined {
    // Not a number, and not remembered: the cache holds short keys only, however long the input.
    if (tooLongForANumber(raw)) return undefined;
    const key = `${region}${raw}`; // a region is always two letters
    let reading = this.readings.get(key);
    if (!reading) {
      reading = { number: normalizeIncoming(raw, region) };
      this.readings.set(key, reading);
    }
    return reading.number;
  }

  get size(): number {
    return this.readings.size;
  }
}
