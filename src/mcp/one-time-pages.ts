import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How long a one-time page stays valid (ten minutes). */
export const DEFAULT_PAGE_TTL_MS = 10 * 60 * 1000;
const MAX_FORM_BYTES = 4096;

/** What a reveal page shows, once. */
export interface RevealContent {
  title: string;
  /** The secret: held in memory only until it is shown or the page expires. */
  secret: string;
  secretLabel: string;
  ingressUrl: string;
  curl: string;
  /** Lines under the secret, e.g. where to keep it. */
  notes: string[];
}

/** A page that takes one secret from the person (a PAT) and hands it to `accept`, once. */
export interface PasteForm {
  title: string;
  label: string;
  /** Lines above the field: what to paste and what happens to it. */
  notes: string[];
  /** An error sentence for a value that cannot be right, checked before it is accepted. */
  check(value: string): string | undefined;
  accept(value: string): void;
}

type PageEntry =
  | {
      kind: "reveal";
      content: RevealContent | undefined;
      expiresAt: number;
      onDone?: (() => void) | undefined;
    }
  | { kind: "paste"; form: PasteForm; expiresAt: number };

export interface IssuedPage {
  url: string;
  expires_at: string;
  /** Unguessable id, also used as the URL elicitation id. */
  id: string;
}

interface Answer {
  status: number;
  title: string;
  body: string;
  allow?: string;
  after?: (() => void) | undefined;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    req.on("end", () =>
      resolve(
        size <= MAX_FORM_BYTES
          ? new URLSearchParams(Buffer.concat(chunks).toString("utf8"))
          : undefined,
      ),
    );
    req.on("error", () => resolve(undefined));
  });
}

/**
 * Pages served on loopback that each work once. A reveal page shows a signing secret a single
 * time; a paste page takes a PAT a single time. Either way the secret never passes through a
 * tool result or a model: the person opens the link in a browser on the same machine. A used
 * or expired page answers 410.
 */
export class OneTimePages {
  readonly #pages = new Map<string, PageEntry>();
  /** Used and expired page ids, so a second visit says 410 rather than 404. */
  readonly #spent = new Map<string, number>();
  readonly #host: string;
  readonly #port: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #server: Server | undefined;
  #starting: Promise<string> | undefined;

  constructor(options: { host?: string; port?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#host = options.host ?? "127.0.0.1";
    this.#port = options.port ?? 0;
    this.#ttlMs = options.ttlMs ?? DEFAULT_PAGE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Starts listening on first use, so a server that never shows a page opens no port. */
  #origin(): Promise<string> {
    this.#starting ??= new Promise((resolve, reject) => {
      const server = createServer((req, res) => {
        this.#handle(req, res).catch(() => {
          if (!res.headersSent)
            this.#send(res, { status: 500, title: "Error", body: "<p>Something went wrong.</p>" });
        });
      });
      server.once("error", reject);
      server.listen(this.#port, this.#host, () => {
        const { port } = server.address() as AddressInfo;
        this.#server = server;
        resolve(`http://${this.#host}:${port}`);
      });
    });
    return this.#starting;
  }

  async #issue(entry: PageEntry): Promise<IssuedPage> {
    this.#sweep();
    const origin = await this.#origin();
    const id = randomBytes(32).toString("base64url");
    this.#pages.set(id, entry);
    return { id, url: `${origin}/once/${id}`, expires_at: new Date(entry.expiresAt).toISOString() };
  }

  createReveal(content: RevealContent, onDone?: () => void): Promise<IssuedPage> {
    return this.#issue({ kind: "reveal", content, expiresAt: this.#now() + this.#ttlMs, onDone });
  }

  createPaste(form: PasteForm): Promise<IssuedPage> {
    return this.#issue({ kind: "paste", form, expiresAt: this.#now() + this.#ttlMs });
  }

  /** Whether a page can still be used. */
  isLive(id: string): boolean {
    this.#sweep();
    return this.#pages.has(id);
  }

  /** Forgets every page, wiping what they held, and stops listening. */
  async close(): Promise<void> {
    for (const page of this.#pages.values()) if (page.kind === "reveal") page.content = undefined;
    this.#pages.clear();
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, page] of this.#pages) {
      if (page.expiresAt <= now) this.#spend(id, page);
    }
    for (const [id, at] of this.#spent) if (at < now - 24 * 3600 * 1000) this.#spent.delete(id);
  }

  #spend(id: string, page: PageEntry): void {
    if (page.kind === "reveal") page.content = undefined;
    this.#pages.delete(id);
    this.#spent.set(id, this.#now());
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = await this.#answer(req);
    if (answer.allow) res.setHeader("allow", answer.allow);
    this.#send(res, answer);
    answer.after?.();
  }

  async #answer(req: IncomingMessage): Promise<Answer> {
    const notFound = { status: 404, title: "Not found", body: "<p>There is no page here.</p>" };
    const expectedHost = `${this.#host}:${(this.#server?.address() as AddressInfo | null)?.port}`;
    if (req.headers.host !== expectedHost) {
      return {
        status: 421,
        title: "Wrong address",
        body: "<p>Open the link exactly as it was given.</p>",
      };
    }
    const match = /^\/once\/([A-Za-z0-9_-]{43})$/.exec(req.url ?? "");
    if (!match) return notFound;
    const id = match[1] as string;
    this.#sweep();
    const page = this.#pages.get(id);
    if (!page) {
      if (!this.#spent.has(id)) return notFound;
      return {
        status: 410,
        title: "This link has been used",
        body: "<p>This one-time page was already used, or it expired, and what it held is not shown again.</p><p>A signing secret is never shown again. If it was not kept, rotate it: ask for a new signing secret in the chat (the tool <code>rotate_inbound_webhook_secret</code>). The new one is shown once on a new page, and the old one keeps verifying for the overlap you choose, so senders can switch.</p><p>If this was a page for pasting a PAT and the setup still waits for it, ask in the chat for a new link.</p>",
      };
    }
    if (req.method === "GET") {
      return page.kind === "reveal"
        ? { status: 200, title: "Reveal the signing secret", body: this.#confirmForm(page.content) }
        : { status: 200, title: page.form.title, body: this.#pasteForm(page.form) };
    }
    if (req.method !== "POST") {
      return {
        status: 405,
        title: "Not allowed",
        body: "<p>Use the button on the page.</p>",
        allow: "GET, POST",
      };
    }
    // A page on another site could post here to burn or fill it; only this origin may.
    if (req.headers.origin !== undefined && req.headers.origin !== `http://${expectedHost}`) {
      return {
        status: 403,
        title: "Refused",
        body: "<p>Open the link directly and use its button.</p>",
      };
    }
    if (page.kind === "paste") {
      const form = await readForm(req);
      const value = form?.get("secret")?.trim() ?? "";
      const problem = value ? page.form.check(value) : "Paste the token into the field first.";
      if (problem)
        return { status: 422, title: page.form.title, body: this.#pasteForm(page.form, problem) };
      this.#spend(id, page);
      return {
        status: 200,
        title: "Received",
        body: "<p><strong>Received.</strong> Go back to the chat. The token is used once, to set up the webhook, and is not stored or shown again.</p>",
        after: () => page.form.accept(value),
      };
    }
    req.resume();
    const content = page.content as RevealContent;
    const body = this.#revealBody(content);
    this.#spend(id, page);
    return { status: 200, title: content.title, body, after: page.onDone };
  }

  #confirmForm(content: RevealContent | undefined): string {
    const title = content ? escapeHtml(content.title) : "";
    return `<p>${title}</p>
<p><strong>The secret is shown once.</strong> Have your secrets manager ready, then reveal it. After that this link stops working.</p>
<form method="post"><button type="submit" id="reveal">Reveal the signing secret</button></form>`;
  }

  #pasteForm(form: PasteForm, problem?: string): string {
    return `${form.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join("\n")}
${problem ? `<p id="problem" role="alert"><strong>${escapeHtml(problem)}</strong></p>` : ""}
<form method="post" autocomplete="off"><p><label for="secret">${escapeHtml(form.label)}</label><br>
<input type="password" id="secret" name="secret" size="50" autocomplete="off" spellcheck="false" required></p>
<p><button type="submit" id="send">Use it once</button></p></form>`;
  }

  #revealBody(content: RevealContent): string {
    return `<p><strong>Copy the ${escapeHtml(content.secretLabel.toLowerCase())} now: it will not be shown again.</strong></p>
<p><label>${escapeHtml(content.secretLabel)}<br><code id="secret">${escapeHtml(content.secret)}</code></label></p>
<p><label>Ingress URL<br><code id="ingress-url">${escapeHtml(content.ingressUrl)}</code></label></p>
${content.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join("\n")}
<h2>Test it with curl</h2>
<p>Set <code>AGENTRUNTIME_SIGNING_SECRET</code> to the secret above and <code>AGENTRUNTIME_PAT</code> to the automation PAT, then run:</p>
<pre id="curl">${escapeHtml(content.curl)}</pre>`;
  }

  #send(res: ServerResponse, answer: Answer): void {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(answer.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="same-origin">
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f3f3f3;padding:.2rem .4rem}code{word-break:break-all}pre{white-space:pre;overflow-x:auto;padding:.6rem}button{font-size:1rem;padding:.5rem 1rem}input{font-size:1rem;padding:.4rem}</style>
</head><body><h1>${escapeHtml(answer.title)}</h1>
${answer.body}
</body></html>`;
    res.writeHead(answer.status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      "referrer-policy": "same-origin",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
    });
    res.end(html);
  }
}
