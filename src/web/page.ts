import { escapeHtml } from "../html/escape.js";
import { LOOK_CSS } from "../html/look.js";

/**
 * What the browser Chat page is: a model's conversation, the scripted demo, or (no model
 * configured) how to connect one, with the command that starts the demo.
 */
export type ChatMode =
  | { kind: "chat"; model: string }
  | { kind: "demo" }
  | { kind: "no-model"; demoCommand: string };

const CHAT_CSS = `
body{min-height:100vh}
.chat{max-width:46rem;margin:0 auto;padding:1rem 1rem 7rem;display:flex;flex-direction:column;gap:.75rem}
.chat>header{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem}
.chat>header h1{font-size:1.2rem;margin:0}
#transcript{display:flex;flex-direction:column;gap:.75rem}
.msg{max-width:100%;padding:.6rem .8rem;border-radius:var(--ar-radius);white-space:pre-wrap;overflow-wrap:anywhere}
.msg.autopilot{background:var(--ar-panel);border:1px solid var(--ar-line);align-self:flex-start}
.msg.you{background:var(--ar-accent);color:var(--ar-accent-text);align-self:flex-end}
.msg.notice{background:var(--ar-warn-bg);align-self:stretch}
.msg .who{display:block;font-size:.75rem;font-weight:600;color:var(--ar-muted);margin-bottom:.15rem}
.msg.you .who{color:inherit;opacity:.85}
.card-frame{width:100%;border:1px solid var(--ar-line);border-radius:var(--ar-radius);background:var(--ar-bg);height:420px;display:block}
#composer{position:fixed;left:0;right:0;bottom:0;background:var(--ar-bg);border-top:1px solid var(--ar-line);padding:.75rem 1rem}
#composer .row{max-width:46rem;margin:0 auto;display:flex;gap:.5rem;align-items:flex-end}
#composer textarea{flex:1;resize:vertical;min-height:2.75rem;max-height:10rem}
@media (max-width:480px){.chat{padding:.75rem .6rem 7rem}#composer{padding:.5rem .6rem}}
`;

/** Without a model: how to connect one, in one paragraph, and the demo to try meanwhile. */
function noModelNote(demoCommand: string): string {
  return `<p class="ar-warn" id="no-model-note" role="note"><strong>No model is connected, so Autopilot cannot answer yet.</strong> Stop this command (Ctrl+C) and start it again with a model: for OpenAI set <code>OPENAI_API_KEY</code> and <code>OPENAI_MODEL</code> (for example <code>gpt-4o-mini</code>); for a local server such as Ollama set <code>OPENAI_BASE_URL=http://127.0.0.1:11434/v1</code> and <code>OPENAI_MODEL</code> (for example <code>qwen2.5:7b</code>). To see the setup without a model now, run <code id="demo-command">${escapeHtml(demoCommand)}</code>: a scripted demo on a local sandbox.</p>`;
}

/**
 * The browser Chat page: the transcript, the cards inline, and the composer (or the demo
 * note). `conversation` names the model conversation this page load started.
 */
export function renderChatPage(mode: ChatMode, nonce: string, conversation?: string): string {
  const subtitle =
    mode.kind === "demo"
      ? '<p class="ar-warn" id="demo-note" role="note"><strong>Scripted demo, not a model.</strong> Autopilot\'s lines here are the guided setup\'s own words for each step. Click the card to go through a real setup on the local sandbox.</p>'
      : mode.kind === "no-model"
        ? noModelNote(mode.demoCommand)
        : `<p class="ar-note" id="model-note">Model: ${escapeHtml(mode.model)}. Never paste a PAT or signing secret here: the card opens a private page for them.</p>`;
  const composer =
    mode.kind !== "chat"
      ? ""
      : `<form id="composer" autocomplete="off"><div class="row"><label class="ar-sr" for="say">Message to Autopilot</label>
<textarea id="say" name="say" rows="1" placeholder="Ask Autopilot, e.g. Start my Shopify workflow when an order arrives"></textarea>
<button type="submit" class="ar-primary" id="send">Send</button></div></form>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${mode.kind === "demo" ? "Autopilot demo" : "Autopilot"} · Inbound webhooks</title>
<style nonce="${nonce}">${LOOK_CSS}${CHAT_CSS}</style></head>
<body data-mode="${mode.kind}"${conversation ? ` data-conversation="${escapeHtml(conversation)}"` : ""}><div class="chat"><header><h1>Autopilot</h1><span class="ar-brand">AgentRuntime · Inbound webhooks</span></header>
${subtitle}
<main id="transcript" aria-live="polite" aria-label="Conversation"></main></div>
${composer}
<script src="/chat.js" nonce="${nonce}"></script>
</body></html>`;
}
