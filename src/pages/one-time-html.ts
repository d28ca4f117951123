import { z } from "zod";
import { escapeHtml } from "../html/escape.js";
import { COPY_SCRIPT, LOOK_CSS } from "../html/look.js";

/** What a reveal page shows, once; sealed as it is when pages live in a shared store. */
export const RevealContent = z.object({
  title: z.string(),
  /** The secret: held only until it is shown or the page expires. */
  secret: z.string(),
  secretLabel: z.string(),
  ingressUrl: z.string(),
  curl: z.string(),
  /** Lines under the secret, e.g. where to keep it. */
  notes: z.array(z.string()),
  /** The guided setup that issued the page, if any: a shared store tells it the secret was shown. */
  wizardId: z.string().optional(),
});
export type RevealContent = z.infer<typeof RevealContent>;

/** The words of a paste page, which is all of it a shared store keeps. */
export const PasteText = z.object({
  title: z.string(),
  label: z.string(),
  notes: z.array(z.string()),
});

export type PasteText = z.infer<typeof PasteText>;

const PAGE_CSS = `.ar-page{max-width:44rem;margin:0 auto;padding:1.5rem 1rem 2rem}
.ar-page>header{margin-bottom:1rem}
.ar-page>footer{margin-top:1.25rem}
@media (max-width:480px){.ar-page{padding:1rem .75rem}.ar-panel{padding:.75rem}}`;

/** A value shown whole with a button that copies it whole, however it wraps on screen. */
function copyField(id: string, label: string, value: string): string {
  return `<div class="ar-field"><span class="ar-label" id="${id}-label">${escapeHtml(label)}</span>
<div class="ar-copyrow"><pre class="ar-value" aria-labelledby="${id}-label" id="${id}">${escapeHtml(value)}</pre>
<button type="button" class="ar-copy" data-copy="${id}" aria-label="Copy the ${escapeHtml(label.toLowerCase())}">Copy</button></div></div>`;
}

/** The step before a reveal: the secret is not in the page until the person asks for it. */
export function revealConfirmBody(content: RevealContent | undefined): string {
  const title = content ? escapeHtml(content.title) : "";
  return `<p>${title}</p>
<p class="ar-warn"><strong>The secret is shown once.</strong> Have your secrets manager ready, then reveal it. After that this link stops working.</p>
<form method="post"><div class="ar-actions"><button type="submit" id="reveal" class="ar-primary">Reveal the signing secret</button></div></form>`;
}

/** The paste form, with the reason the last value was refused when there is one. */
export function pasteFormBody(form: PasteText, problem?: string): string {
  return `${form.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join("\n")}
${problem ? `<p id="problem" class="ar-alert" role="alert">${escapeHtml(problem)}</p>` : ""}
<form method="post" autocomplete="off"><div class="ar-field"><label class="ar-label" for="secret">${escapeHtml(form.label)}</label>
<input type="password" id="secret" name="secret" autocomplete="off" spellcheck="false" required></div>
<div class="ar-actions"><button type="submit" id="send" class="ar-primary">Use it once</button></div></form>`;
}

/** The revealed secret, the ingress URL and the curl test, each with a copy button. */
export function revealBody(content: RevealContent): string {
  return `<p class="ar-alert" role="alert">Copy the ${escapeHtml(content.secretLabel.toLowerCase())} now: it will not be shown again.</p>
${copyField("secret", content.secretLabel, content.secret)}
${copyField("ingress-url", "Ingress URL", content.ingressUrl)}
${content.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join("\n")}
<h2>Test it with curl</h2>
<p>Set <code>AGENTRUNTIME_SIGNING_SECRET</code> to the secret above and <code>AGENTRUNTIME_PAT</code> to the automation PAT, then run:</p>
${copyField("curl", "curl test", content.curl)}`;
}

/** A whole one-time page: the shared look around a body that is already HTML. */
export function renderOneTimePage(title: string, body: string, nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="same-origin">
<style nonce="${nonce}">${LOOK_CSS}${PAGE_CSS}</style>
</head><body><main class="ar-page"><header class="ar-brand">AgentRuntime · Inbound webhook</header>
<h1>${escapeHtml(title)}</h1>
<div class="ar-panel">
${body}
</div>
<footer class="ar-note">A one-time page served from this computer. What you type or copy here is never sent to the chat.</footer></main>
<script nonce="${nonce}">${COPY_SCRIPT}</script>
</body></html>`;
}

/** Response headers of a one-time page: nothing cached, framed, sniffed, or run without the nonce. */
export function oneTimePageHeaders(nonce: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
  };
}
