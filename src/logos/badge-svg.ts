import type { SourceBadge } from '../core/source';

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** A small rounded badge with the source's letters: shown on every card as `CrmLogo`. */
export function renderBadgeSvg(title: string, badge: SourceBadge): string {
  const fontSize = badge.letters.length > 2 ? 20 : 26;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title>` +
    `<rect width="64" height="64" rx="14" fill="${escapeXml(badge.color)}"/>` +
    `<text x="32" y="${32 + fontSize * 0.36}" font-family="Helvetica, Arial, sans-serif" font-size="${fontSize}" ` +
    `font-weight="700" fill="#FFFFFF" text-anchor="middle">${escapeXml(badge.letters)}</text></svg>`
  );
}
