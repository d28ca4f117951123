import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How long a one-time page stays valid (ten minutes). */
export const DEFAULT_PAGE_TTL_MS = 10 * 60 * 1000;

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

interface PageEntry {
  kind: "reveal";
  content: RevealContent | undefined;
  expiresAt: number;
  onDone?: () => void;
}

export interface IssuedPage {
  url: string;
  expires_at: string;
  /** Unguessable id, also used as the URL elicitation id. */
  id: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Pages served on loopback that each work once: a reveal page shows a signing secret a
 * single time, then answers 410. The secret never passes through a tool result or a model;
 * the person opens the link in a browser on the same machine.
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

  /** Starts listening on first use, so a server that never reveals a secret opens no port. */
  #origin(): Promise<string> {
    this.#starting ??= new Promise((resolve, reject) => {
      const server = createServer((req, res) => this.#handle(req, res));
      server.once("error", reject);
      server.listen(this.#port, this.#host, () => {
        const { port } = server.address() as AddressInfo;
        this.#server = server;
        resolve(`http://${this.#host}:${port}`);
      });
    });
    return this.#starting;
  }

  async createReveal(content: RevealContent, onDone?: () => void): Promise<IssuedPage> {
    this.#sweep();
    const origin = await this.#origin();
    const id = randomBytes(32).toString("base64url");
    const expiresAt = this.#now() + this.#ttlMs;
    this.#pages.set(id, { kind: "reveal", content, expiresAt, onDone });
    return { id, url: `${origin}/once/${id}`, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Forgets every page, wiping what they held, and stops listening. */
  async close(): Promise<void> {
    for (const page of this.#pages.values()) page.content = undefined;
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
    page.content = undefined;
    this.#pages.delete(id);
    this.#spent.set(id, this.#now());
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const answer = this.#answer(req);
    if (answer.allow) res.setHeader("allow", answer.allow);
    this.#send(res, answer.status, answer.title, answer.body);
    answer.after?.();
  }

  #answer(req: IncomingMessage): {
    status: number;
    title: string;
    body: string;
    allow?: string;
    after?: () => void;
  } {
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
        body: "<p>This one-time page was already opened, or it expired. The secret is not shown again. If nobody copied it, rotate the signing secret or create the webhook again.</p>",
      };
    }
    if (req.method === "GET") {
      return { status: 200, title: "Reveal the signing secret", body: this.#confirmForm(page) };
    }
    if (req.method !== "POST") {
      return {
        status: 405,
        title: "Not allowed",
        body: "<p>Use the button on the page.</p>",
        allow: "GET, POST",
      };
    }
    // A page on another site could post here to burn the secret; only this origin may.
    if (req.headers.origin !== undefined && req.headers.origin !== `http://${expectedHost}`) {
      return {
        status: 403,
        title: "Refused",
        body: "<p>Open the link directly and use its button.</p>",
      };
    }
    req.resume();
    const content = page.content as RevealContent;
    const body = this.#revealBody(content);
    this.#spend(id, page);
    return { status: 200, title: content.title, body, after: page.onDone };
  }

  #confirmForm(page: PageEntry): string {
    const title = page.content ? escapeHtml(page.content.title) : "";
    return `<p>${title}</p>
<p><strong>The secret is shown once.</strong> Have your secrets manager ready, then reveal it. After that this link stops working.</p>
<form method="post"><button type="submit" id="reveal">Reveal the signing secret</button></form>`;
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

  #send(res: ServerResponse, status: number, title: string, body: string): void {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="same-origin">
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f3f3f3;padding:.2rem .4rem}code{word-break:break-all}pre{white-space:pre;overflow-x:auto;padding:.6rem}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
    res.writeHead(status, {
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
