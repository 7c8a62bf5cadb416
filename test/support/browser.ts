import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it): Playwright's own browser download does not work here. */
export const CHROMIUM = '/usr/bin/chromium';

/** A real headless Chromium, driven by playwright-core. Close it: `withBrowser` does. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** Runs `use` with a browser launched for it alone, and closes that browser whatever happens. */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

/** A PNG's size from its header (the IHDR chunk that must come first), after checking its signature. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature)) throw new Error('not a PNG: its signature is missing');
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG: its first chunk is not IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** What an image holds: how many colours, and the share of pixels of its most frequent one. */
export interface Colours {
  readonly distinct: number;
  readonly commonestShare: number;
}

/**
 * Decodes a PNG in the browser itself (an image drawn on a canvas of a blank page of its own, its pixels
 * read back) and counts its colours: a page that rendered nothing is one colour.
 */
export async function coloursOf(browser: Browser, png: Buffer): Promise<Colours> {
  const page = await browser.newPage();
  try {
    return await decodeAndCount(page, png);
  } finally {
    await page.close();
  }
}

async function decodeAndCount(page: Page, png: Buffer): Promise<Colours> {
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < pixels.length; i += 4) {
      const colour = ((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!) >>> 0;
      counts.set(colour, (counts.get(colour) ?? 0) + 1);
    }
    return { distinct: counts.size, commonestShare: Math.max(...counts.values()) / (pixels.length / 4) };
  }, png.toString('base64'));
}
