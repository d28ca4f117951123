import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { pageNonce } from "../html/escape.js";
import type { Sealer } from "../store/seal.js";
import type { PageRow, SharedStore } from "../store/store.js";
import {
  oneTimePageHeaders,
  PasteText,
  pasteFormBody,
  RevealContent,
  renderOneTimePage,
  revealBody,
  revealConfirmBody,
} from "./one-time-html.js";

export type { RevealContent } from "./one-time-html.js";

/** How long a one-time page stays valid (ten minutes). */
export const DEFAULT_PAGE_TTL_MS = 10 * 60 * 1000;
const MAX_FORM_BYTES = 4096;

/** What a shared paste page holds beside its words: its own id, to hand out its link again. */
const SealedPaste = z.object({ page: z.string() });

/** A page that takes one secret from the person (a PAT) and hands it to `accept`, once. */
export interface PasteForm extends PasteText {
  /** The guided setup the PAT is for; with a shared store one live paste page is kept per setup. */
  wizardId?: string;
  /** An error sentence for a value that cannot be right, checked before it is accepted. */
  check(value: string): string | undefined;
  accept(value: string): void;
}

/** Pages kept in the shared store of a hosted server, so any replica serves any page. */
export interface SharedPages {
  store: SharedStore;
  /** Seals every page's content with the key all replicas share (`AGENTRUNTIME_PAGE_KEY`). */
  sealer: Sealer;
  /** The identity pages are issued for (a digest of the caller's token), or null. */
  owner: string | null;
  /**
   * The paste form of a page issued elsewhere, rebuilt on the replica the paste lands on;
   * `settle` runs after `accept`, to write what it changed back to the store.
   */
  pasteForm?(page: PageRow): Promise<{ form: PasteForm; settle(): Promise<void> } | undefined>;
  /** Runs after a page was used on this replica (a reveal tells its guided setup). */
  onUsed?(page: PageRow): Promise<void>;
  /** Counts pages issued and used, e.g. for metrics. */
  count?(event: "issued" | "used", kind: PageRow["kind"]): void;
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

const GONE: Answer = {
  status: 410,
  title: "This link has been used",
  body: "<p>This one-time page was already used, or it expired, and what it held is not shown again.</p><p>A signing secret is never shown again. If it was not kept, rotate it: ask for a new signing secret in the chat (the tool <code>rotate_inbound_webhook_secret</code>). The new one is shown once on a new page, and the old one keeps verifying for the overlap you choose, so senders can switch.</p><p>If this was a page for pasting a PAT and the setup still waits for it, ask in the chat for a new link.</p>",
};
const NOT_ALLOWED: Answer = {
  status: 405,
  title: "Not allowed",
  body: "<p>Use the button on the page.</p>",
  allow: "GET, POST",
};
const REFUSED: Answer = {
  status: 403,
  title: "Refused",
  body: "<p>Open the link directly and use its button.</p>",
};

/** The origin of a `--public-url`: http(s), no path, query or credentials. */
export function publicOrigin(publicUrl: string): URL {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(`the public URL must be an absolute http(s) URL, not "${publicUrl}"`);
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash)
    throw new Error(
      `the public URL must be http(s)://host[:port] with no query, not "${publicUrl}"`,
    );
  if (url.pathname !== "/")
    throw new Error(
      `the public URL is an origin: pages are served at /once/<id>, so drop "${url.pathname}"`,
    );
  return url;
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

export interface OneTimePagesOptions {
  host?: string;
  port?: number;
  ttlMs?: number;
  now?: () => number;
  /**
   * The public origin (`https://…`) of the HTTP server that also serves `/mcp`: pages are at
   * `<publicUrl>/once/<id>`, served through `handle`, and no loopback port is opened.
   */
  publicUrl?: string;
  /** Keep pages in a shared store instead of this process's memory (needs `publicUrl`). */
  shared?: SharedPages;
}

/**
 * Pages that each work once. A reveal page shows a signing secret a single time; a paste page
 * takes a PAT a single time. Either way the secret never passes through a tool result or a
 * model: the person opens the link in a browser. By default pages live in memory and are
 * served on loopback; hosted, they are served at the public origin and may live, sealed, in a
 * shared store. A used or expired page answers 410.
 */
export class OneTimePages {
  readonly #pages = new Map<string, PageEntry>();
  /** Used and expired page ids, so a second visit says 410 rather than 404. */
  readonly #spent = new Map<string, number>();
  readonly #host: string;
  readonly #port: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #public: URL | undefined;
  readonly #shared: SharedPages | undefined;
  /** Shared pages this instance knows to be live (it issued them, or was told). */
  readonly #known = new Set<string>();
  /** Paste forms issued by this instance, by page id: their check and accept run here. */
  readonly #forms = new Map<string, PasteForm>();
  /** One paste page per setup at a time, even when two steps ask at once. */
  readonly #pasting = new Map<string, Promise<IssuedPage>>();
  #server: Server | undefined;
  #starting: Promise<string> | undefined;

  constructor(options: OneTimePagesOptions = {}) {
    this.#host = options.host ?? "127.0.0.1";
    this.#port = options.port ?? 0;
    this.#ttlMs = options.ttlMs ?? DEFAULT_PAGE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#public = options.publicUrl ? publicOrigin(options.publicUrl) : undefined;
    if (options.shared && !this.#public)
      throw new Error("pages in a shared store need a public URL to be served at");
    this.#shared = options.shared;
  }

  /** Starts listening on first use, so a server that never shows a page opens no port. */
  #origin(): Promise<string> {
    if (this.#public) return Promise.resolve(this.#public.href.replace(/\/$/, ""));
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
    const page = {
      id,
      url: `${origin}/once/${id}`,
      expires_at: new Date(entry.expiresAt).toISOString(),
    };
    if (!this.#shared) {
      this.#pages.set(id, entry);
      return page;
    }
    const { store, sealer, owner } = this.#shared;
    const content =
      entry.kind === "reveal"
        ? RevealContent.parse(entry.content)
        : PasteText.parse({
            title: entry.form.title,
            label: entry.form.label,
            notes: entry.form.notes,
          });
    const wizardId = entry.kind === "reveal" ? entry.content?.wizardId : entry.form.wizardId;
    const stored = sealer.digest(id);
    // A paste page's own id rides sealed with it, so asking again can hand out the same link.
    const sealed = entry.kind === "paste" ? { ...content, page: id } : content;
    await store.putPage({
      id: stored,
      kind: entry.kind,
      owner,
      wizardId: wizardId ?? null,
      payload: sealer.seal(JSON.stringify(sealed), stored),
      expiresAt: entry.expiresAt,
    });
    this.#known.add(id);
    if (entry.kind === "paste") this.#forms.set(stored, entry.form);
    this.#shared.count?.("issued", entry.kind);
    return page;
  }

  createReveal(content: RevealContent, onDone?: () => void): Promise<IssuedPage> {
    return this.#issue({ kind: "reveal", content, expiresAt: this.#now() + this.#ttlMs, onDone });
  }

  createPaste(form: PasteForm): Promise<IssuedPage> {
    const wizardId = form.wizardId;
    if (!this.#shared || wizardId === undefined)
      return this.#issue({ kind: "paste", form, expiresAt: this.#now() + this.#ttlMs });
    const { store, owner, sealer } = this.#shared;
    const pending = (this.#pasting.get(wizardId) ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then(async () => {
        const live = await store.livePaste(wizardId, owner);
        const opened = live && sealer.open(live.payload, live.id);
        const id = opened === undefined ? undefined : SealedPaste.safeParse(JSON.parse(opened));
        if (!live || !id?.success)
          return this.#issue({ kind: "paste", form, expiresAt: this.#now() + this.#ttlMs });
        this.#known.add(id.data.page);
        this.#forms.set(live.id, form);
        return {
          id: id.data.page,
          url: `${await this.#origin()}/once/${id.data.page}`,
          expires_at: new Date(live.expiresAt).toISOString(),
        };
      });
    this.#pasting.set(wizardId, pending);
    return pending;
  }

  /** Whether a page can still be used (for shared pages: as far as this instance was told). */
  isLive(id: string): boolean {
    this.#sweep();
    return this.#shared ? this.#known.has(id) : this.#pages.has(id);
  }

  /** The paste form this instance issued or re-issued for a page, by its stored id. */
  pasteFormOf(storedId: string): PasteForm | undefined {
    return this.#forms.get(storedId);
  }

  /** Whether a shared page is live, spent or unknown, as the store says; a live one is marked so. */
  async stateOf(id: string): Promise<"live" | "spent" | "missing"> {
    if (!this.#shared) return this.isLive(id) ? "live" : this.#spent.has(id) ? "spent" : "missing";
    const { state } = await this.#shared.store.getPage(this.#shared.sealer.digest(id));
    if (state === "live") this.#known.add(id);
    return state;
  }

  /** Serves `/once/<id>` for the HTTP server that owns the public origin. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#handle(req, res);
    } catch {
      if (!res.headersSent)
        this.#send(res, { status: 500, title: "Error", body: "<p>Something went wrong.</p>" });
    }
  }

  /** Answers `/once/<id>` on another server's port (`--public-url`); false for any other path. */
  async answer(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (!pathname.startsWith("/once/")) return false;
    await this.handle(req, res);
    return true;
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
    const expectedHost =
      this.#public?.host ??
      `${this.#host}:${(this.#server?.address() as AddressInfo | null)?.port}`;
    const expectedOrigin = this.#public?.origin ?? `http://${expectedHost}`;
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
    if (this.#shared) return this.#answerShared(req, id, this.#shared, expectedOrigin);
    this.#sweep();
    const page = this.#pages.get(id);
    if (!page) return this.#spent.has(id) ? GONE : notFound;
    if (req.method === "GET") {
      return page.kind === "reveal"
        ? { status: 200, title: "Reveal the signing secret", body: this.#confirmForm(page.content) }
        : { status: 200, title: page.form.title, body: this.#pasteForm(page.form) };
    }
    if (req.method !== "POST") return NOT_ALLOWED;
    // A page on another site could post here to burn or fill it, and so could a script that
    // sends no Origin at all; a browser always sends it on a form POST.
    if (req.headers.origin !== expectedOrigin) return REFUSED;
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

  /** The same rules as memory pages, over the shared store: any replica answers, one wins. */
  async #answerShared(
    req: IncomingMessage,
    id: string,
    shared: SharedPages,
    expectedOrigin: string,
  ): Promise<Answer> {
    // The store knows a page only by its keyed digest: nothing in it opens a page.
    const stored = shared.sealer.digest(id);
    const found = await shared.store.getPage(stored);
    if (found.state === "missing")
      return { status: 404, title: "Not found", body: "<p>There is no page here.</p>" };
    if (found.state === "spent") return GONE;
    const { page } = found;
    const opened = shared.sealer.open(page.payload, stored);
    // A page sealed with another key cannot be shown; to the person it is as good as gone.
    if (opened === undefined) return GONE;
    if (req.method === "GET") {
      if (page.kind === "reveal") {
        const content = RevealContent.parse(JSON.parse(opened));
        return {
          status: 200,
          title: "Reveal the signing secret",
          body: this.#confirmForm(content),
        };
      }
      const text = PasteText.parse(JSON.parse(opened));
      return {
        status: 200,
        title: text.title,
        body: this.#pasteForm({ ...text, check: () => undefined, accept: () => {} }),
      };
    }
    if (req.method !== "POST") return NOT_ALLOWED;
    if (req.headers.origin !== expectedOrigin) return REFUSED;
    if (page.kind === "paste") {
      const form = await readForm(req);
      const value = form?.get("secret")?.trim() ?? "";
      const rebuilt = await shared.pasteForm?.(page);
      if (!rebuilt) return GONE;
      const problem = value ? rebuilt.form.check(value) : "Paste the token into the field first.";
      if (problem)
        return {
          status: 422,
          title: rebuilt.form.title,
          body: this.#pasteForm(rebuilt.form, problem),
        };
      if (!(await shared.store.consumePage(stored))) return GONE;
      shared.count?.("used", "paste");
      rebuilt.form.accept(value);
      await rebuilt.settle();
      return {
        status: 200,
        title: "Received",
        body: "<p><strong>Received.</strong> Go back to the chat. The token is used once, to set up the webhook, and is not stored or shown again.</p>",
      };
    }
    req.resume();
    const taken = await shared.store.consumePage(stored);
    const plain = taken && shared.sealer.open(taken.payload, stored);
    if (!taken || plain === undefined) return GONE;
    shared.count?.("used", "reveal");
    const content = RevealContent.parse(JSON.parse(plain));
    // Before answering: the chat's next call, on any replica, then finds the setup moved on.
    await shared.onUsed?.(taken).catch(() => {});
    return { status: 200, title: content.title, body: this.#revealBody(content) };
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
