import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { fill, type SignInTexts } from '../signin/signin-text.js';

/**
 * The sign-in page's HTML, server-rendered with Hono's `html` template (every interpolated value is escaped).
 * No inline script or style: the strict Content-Security-Policy allows only this app's own two assets, and the
 * page works without JavaScript except for the copy button, which the script reveals.
 */
export const ASSET_PATH = '/signin/_assets';

export interface PageFrame {
  language: string;
  displayName: string;
  texts: SignInTexts;
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

function page(frame: PageFrame, title: string, body: Html, withScript = false): Html {
  return html`<!doctype html>
<html lang="${frame.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${frame.displayName}</title>
<link rel="stylesheet" href="${ASSET_PATH}/signin.css">
</head>
<body>
<main>
<p class="realm">${frame.displayName}</p>
${body}
</main>
${withScript ? html`<script src="${ASSET_PATH}/copy.js"></script>` : ''}
</body>
</html>
`;
}

export interface StartChoice {
  href: string;
  label: string;
}

export function renderStartPage(frame: PageFrame, choices: readonly StartChoice[]): Html {
  const t = frame.texts;
  const title = fill(t.startTitle, { realm: frame.displayName });
  return page(
    frame,
    title,
    html`<h1>${title}</h1>
<p>${fill(t.startIntro, { realm: frame.displayName })}</p>
<ul class="actions">
${choices.map((choice) => html`<li><a class="button" href="${choice.href}">${choice.label}</a></li>\n`)}
</ul>`,
  );
}

export interface CodeView {
  code: string;
  personName: string;
  /** What to type as the username. */
  username: string;
  lifetimeSeconds: number;
  expiresAt: Date;
  next?: StartChoice | undefined;
  /** Staff sign-ins in a realm with app passwords: where to make them. */
  appPasswordsHref?: string | undefined;
}

export function renderCodePage(frame: PageFrame, view: CodeView): Html {
  const t = frame.texts;
  const lifetime =
    view.lifetimeSeconds >= 120 ? fill(t.minutes, { n: String(Math.round(view.lifetimeSeconds / 60)) }) : fill(t.seconds, { n: String(view.lifetimeSeconds) });
  const time = view.expiresAt.toISOString().slice(11, 16);
  return page(
    frame,
    t.codeTitle,
    html`<h1>${t.codeTitle}</h1>
<p>${fill(t.codeSignedInAs, { name: view.personName })}</p>
<section class="code-box" aria-labelledby="code-label">
<h2 id="code-label">${t.codeLabel}</h2>
<p class="code"><code id="sign-in-code">${view.code}</code></p>
<p class="copy"><button type="button" id="copy" data-copy-target="sign-in-code" data-copied="${t.copied}" data-copy-failed="${t.copyFailed}" hidden>${t.copyButton}</button>
<span id="copy-status" role="status"></span></p>
</section>
<p>${raw(fill(escapeText(t.codeLifetime), { lifetime: escapeText(lifetime), time: `<time datetime="${view.expiresAt.toISOString()}">${time}</time>` }))}</p>
<p>${raw(fill(escapeText(t.codeNextSteps), { realm: escapeText(frame.displayName), username: `<strong>${escapeText(view.username)}</strong>` }))}</p>
${view.next ? html`<p><a class="button" href="${view.next.href}">${view.next.label}</a></p>` : ''}
<p class="note">${t.codeDontShare}</p>
${view.appPasswordsHref ? html`<p><a href="${view.appPasswordsHref}">${t.appPasswordsLink}</a></p>` : ''}`,
    true,
  );
}

export interface AppPasswordsView {
  action: string;
  formToken: string;
  interfaces: string[];
  lifetimeDays: number;
  list: { id: string; label: string; createdAt: number; expiresAt: number }[];
  created?: string | undefined;
  /** A status line (revoked, refused). */
  notice?: string | undefined;
}

export function renderAppPasswordsPage(frame: PageFrame, view: AppPasswordsView): Html {
  const t = frame.texts;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return page(
    frame,
    t.appPasswordsTitle,
    html`<h1>${t.appPasswordsTitle}</h1>
<p>${fill(t.appPasswordsIntro, { interfaces: view.interfaces.join(', '), days: String(view.lifetimeDays) })}</p>
${view.notice ? html`<p role="status" class="notice">${view.notice}</p>` : ''}
${
  view.created
    ? html`<section class="code-box" aria-labelledby="new-label">
<h2 id="new-label">${t.appPasswordNew}</h2>
<p class="code long"><code id="sign-in-code">${view.created}</code></p>
<p class="copy"><button type="button" id="copy" data-copy-target="sign-in-code" data-copied="${t.copied}" data-copy-failed="${t.copyFailed}" hidden>${t.copyAppPassword}</button>
<span id="copy-status" role="status"></span></p>
<p>${t.appPasswordNewNote}</p>
</section>`
    : ''
}
${
  view.list.length === 0
    ? html`<p>${t.appPasswordsNone}</p>`
    : html`<table>
<thead><tr><th scope="col">${t.appPasswordName}</th><th scope="col">${t.appPasswordCreated}</th><th scope="col">${t.appPasswordExpires}</th><td></td></tr></thead>
<tbody>
${view.list.map(
  (item) => html`<tr><td>${item.label}</td><td>${day(item.createdAt)}</td><td>${day(item.expiresAt)}</td><td>
<form method="post" action="${view.action}/revoke"><input type="hidden" name="token" value="${view.formToken}"><input type="hidden" name="id" value="${item.id}">
<button type="submit" class="secondary" aria-label="${fill(t.appPasswordRevoke, { name: item.label })}">${fill(t.appPasswordRevoke, { name: '' }).trim()}</button></form></td></tr>
`,
)}
</tbody>
</table>`
}
<form method="post" action="${view.action}" class="create">
<input type="hidden" name="token" value="${view.formToken}">
<p><label for="label">${t.appPasswordLabel}</label><br>
<input id="label" name="label" type="text" maxlength="60" required autocomplete="off"></p>
<p><button type="submit">${t.appPasswordCreate}</button></p>
</form>`,
    view.created !== undefined,
  );
}

export function renderErrorPage(frame: PageFrame, message: string, startAgainHref: string | undefined): Html {
  const t = frame.texts;
  return page(
    frame,
    t.errorTitle,
    html`<h1>${t.errorTitle}</h1>
<p role="alert">${message}</p>
${startAgainHref ? html`<p><a class="button" href="${startAgainHref}">${t.startAgain}</a></p>` : ''}`,
  );
}

/** For text that goes into the page through `raw` (templates with markup placeholders). */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export const SIGNIN_CSS = `:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; color: #1b1b1f; background: #f4f5f7; }
body { margin: 0; }
main { max-width: 36rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 0.75rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.15); }
.realm { margin: 0 0 0.5rem; color: #4a4d57; font-weight: 600; }
h1 { margin: 0 0 1rem; font-size: 1.6rem; line-height: 1.25; }
h2 { margin: 0 0 0.25rem; font-size: 1rem; color: #4a4d57; }
.actions { list-style: none; padding: 0; margin: 1.5rem 0 0; display: grid; gap: 0.75rem; }
.button, button { display: inline-block; padding: 0.7rem 1.2rem; border: 0; border-radius: 0.5rem; background: #0b57d0; color: #fff; font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
.button:hover, button:hover { background: #0842a0; }
a:focus-visible, button:focus-visible { outline: 3px solid #1b1b1f; outline-offset: 3px; }
a { color: #0b57d0; }
.code-box { margin: 1.5rem 0; padding: 1.25rem; border: 2px solid #0b57d0; border-radius: 0.75rem; background: #f0f4fd; }
.code { margin: 0.25rem 0 0.75rem; }
.code code { font: 700 clamp(1.5rem, 6vw, 2.4rem)/1.2 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; letter-spacing: 0.06em; color: #1b1b1f; word-break: break-all; }
.code.long code { font-size: clamp(1.1rem, 4.4vw, 1.7rem); word-break: normal; overflow-wrap: anywhere; }
.copy { margin: 0; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
#copy-status { color: #1e6b34; font-weight: 600; }
.note { color: #4a4d57; font-size: 0.95rem; }
[role="alert"] { padding: 0.75rem 1rem; border-left: 4px solid #b3261e; background: #fceeee; }
[hidden] { display: none !important; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
th, td { text-align: left; padding: 0.5rem 0.25rem; border-bottom: 1px solid #d3d5db; }
td form { margin: 0; }
button.secondary { background: #fff; color: #b3261e; border: 2px solid #b3261e; padding: 0.35rem 0.8rem; }
button.secondary:hover { background: #fceeee; }
input[type="text"] { font: inherit; padding: 0.5rem; border: 2px solid #4a4d57; border-radius: 0.4rem; width: min(100%, 24rem); margin-top: 0.25rem; }
.notice { padding: 0.5rem 1rem; border-left: 4px solid #1e6b34; background: #eaf6ed; }
`;

export const COPY_JS = `(() => {
  const button = document.getElementById('copy');
  const status = document.getElementById('copy-status');
  if (!button || !status || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    const code = document.getElementById(button.dataset.copyTarget).textContent.trim();
    try {
      await navigator.clipboard.writeText(code);
      status.textContent = button.dataset.copied;
    } catch {
      status.textContent = button.dataset.copyFailed;
    }
  });
})();
`;
