import { html, type HtmlValue, type SafeHtml } from './console-html';

/** The console's pages, in the order of its menu: path, and the menu's word for it. */
export const CONSOLE_PAGES = [
  { path: '/admin', name: 'Overview' },
  { path: '/admin/explain', name: 'Explain a lookup' },
  { path: '/admin/recent', name: 'Recent lookups' },
  { path: '/admin/deliveries', name: 'Outbox' },
  { path: '/admin/tenants', name: 'Tenants' },
] as const;

export type ConsolePagePath = (typeof CONSOLE_PAGES)[number]['path'];

/** What every page of a signed-in admin carries. */
export interface PageFrame {
  readonly csrfToken: string;
  /** What the last button did, shown once. */
  readonly notice?: string;
}

function document(title: string, body: HtmlValue): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Lookup gateway</title>
<link rel="stylesheet" href="/admin/assets/uPlot.min.css">
<link rel="stylesheet" href="/admin/assets/console.css">
<script src="/admin/assets/uPlot.iife.min.js" defer></script>
<script src="/admin/assets/console.js" defer></script>
</head>
<body>
${body}
</body>
</html>
`;
}

/** A hidden field with the session's CSRF token: every form of a signed-in page carries one. */
export function csrfField(frame: PageFrame): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${frame.csrfToken}">`;
}

/** A page of the signed-in console: the menu, the sign-out, the notice, then the page's own content. */
export function consolePage(frame: PageFrame, active: ConsolePagePath, title: string, content: HtmlValue): SafeHtml {
  const menu = CONSOLE_PAGES.map(
    (page) => html`<a href="${page.path}"${page.path === active ? html` class="active" aria-current="page"` : ''}>${page.name}</a>`,
  );
  return document(
    title,
    html`<header class="bar">
<span class="brand">Lookup gateway · admin</span>
<nav>${menu}</nav>
<form method="post" action="/admin/sign-out" class="sign-out">${csrfField(frame)}<button type="submit">Sign out</button></form>
</header>
<main>
<h1>${title}</h1>
${frame.notice !== undefined && html`<p class="notice" role="status">${frame.notice}</p>`}
${content}
</main>`,
  );
}

/** A page outside the session: the sign-in, a refusal. */
export function barePage(title: string, content: HtmlValue): SafeHtml {
  return document(
    title,
    html`<header class="bar"><span class="brand">Lookup gateway · admin</span></header>
<main class="narrow">
${content}
</main>`,
  );
}
