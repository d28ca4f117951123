import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  oneTimePageHeaders,
  type PasteFormText,
  pageNonce,
  pasteFormBody,
  type RevealContent,
  renderOneTimePage,
  revealBody,
  revealConfirmBody,
} from "./one-time-html.js";

export type { RevealContent } from "./one-time-html.js";

/** How long a one-time page stays valid (ten minutes). */
export const DEFAULT_PAGE_TTL_MS = 10 * 60 * 1000;
const MAX_FORM_BYTES = 4096;

/** A page that takes one secret from the person (a PAT) and hands it to `accept`, once. */
export interface PasteForm extends PasteFormText {
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
        body: "<p>This one-time page was already used, or it expired. What it held is not shown again. Go back to the chat for a new link if you still need one.</p>",
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
    return revealConfirmBody(content);
  }

  #pasteForm(form: PasteForm, problem?: string): string {
    return pasteFormBody(form, problem);
  }

  #revealBody(content: RevealContent): string {
    return revealBody(content);
  }

  #send(res: ServerResponse, answer: Answer): void {
    const nonce = pageNonce();
    res.writeHead(answer.status, oneTimePageHeaders(nonce));
    res.end(renderOneTimePage(answer.title, answer.body, nonce));
  }
}
