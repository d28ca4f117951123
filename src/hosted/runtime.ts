import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { StateValue } from "xstate";
import { z } from "zod";
import { type ClientOptions, createClient } from "../client/client.js";
import { createMcpServer } from "../mcp/server.js";
import { type SecretDelivery, type ToolDefinition, ToolFailure } from "../mcp/tool.js";
import { McpWizards, type WizardOutcome } from "../mcp/wizards.js";
import { OneTimePages, type PasteForm } from "../pages/one-time-pages.js";
import type { Sealer } from "../store/seal.js";
import type { PageRow, SharedStore } from "../store/store.js";
import { stepOf } from "../wizard/machine.js";
import { WizardStore } from "../wizard/store.js";
import { MemoryVault } from "../wizard/vaults.js";
import { ownerOf } from "./identity.js";
import type { HostedMetrics } from "./metrics.js";
import { withSealedPageUrls } from "./sealed-page-urls.js";

/** A pasted PAT waits for create no longer than its paste page could have lived, and a bit. */
const PAT_TTL_MS = 15 * 60 * 1000;

/** XState's state value: a state's name, or a map from a parent state to its child's value. */
const StateValueShape: z.ZodType<StateValue> = z.lazy(() =>
  z.union([z.string(), z.record(z.string(), StateValueShape)]),
);

/** The part of a persisted setup a replica reads before running it: where it is, and its reveal page. */
const PersistedSetup = z.object({
  value: StateValueShape,
  context: z.object({
    reveal: z
      .object({ kind: z.literal("page"), url: z.string(), expires_at: z.string() })
      .nullable()
      .optional(),
  }),
});

export interface HostedRuntimeOptions {
  store: SharedStore;
  sealer: Sealer;
  /** The origin people open pages at: `<publicUrl>/once/<id>`. */
  publicUrl: string;
  /** The AgentRuntime API every caller's token is used against. */
  apiUrl: string;
  tools: readonly ToolDefinition[];
  secretDelivery?: SecretDelivery;
  readOnly?: boolean;
  version: string;
  metrics: HostedMetrics;
  log?: (line: string) => void;
  /** Client settings beside the base URL and token (tests shorten retries). */
  client?: Omit<ClientOptions, "baseUrl" | "token">;
}

/** What a hosted server runs: a protocol server per request, and the page handler. */
export interface HostedRuntime {
  /** A protocol server for one request of the caller holding `token` (their AgentRuntime user token). */
  serverFor(token: string): Server;
  /** Serves `/once/<id>` from the shared store. */
  pages: OneTimePages;
  /** Wipes expired pages and idle setups; returns how many pages expired. */
  sweep(): Promise<number>;
}

/**
 * One caller's view of the shared state for the length of one request: setups are read from
 * the store before a wizard call and written back before its result is returned, so the next
 * request may land on any replica.
 */
class CallerScope {
  readonly owner: string;
  readonly pages: OneTimePages;
  readonly pats = new MemoryVault(PAT_TTL_MS);
  readonly cache: WizardStore;
  readonly #options: HostedRuntimeOptions;
  readonly #token: string | undefined;
  readonly #dirty = new Map<string, unknown>();
  readonly #loadedPats = new Set<string>();
  readonly #pasted = new Map<string, string>();
  readonly #hydrated = new Map<string, "found" | "missing" | "expired">();
  /** The stored version each setup was read at (absent: new in this request). */
  readonly #versions = new Map<string, number>();
  /** Setups another request wrote first: this request's later steps are not written over them. */
  readonly #conflicts = new Set<string>();
  /** The last snapshot of each setup known to be stored, as text. */
  readonly #written = new Map<string, string>();
  #hydrating = false;
  #calls = 0;
  #closing = false;
  #wizards: HostedWizards | undefined;
  /** Snapshot writes in order; each step is written as it happens, so a step that waits survives this replica. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: HostedRuntimeOptions, owner: string, token: string | undefined) {
    this.#options = options;
    this.owner = owner;
    this.#token = token;
    this.cache = new WizardStore({
      path: ":memory:",
      onSave: (id, snapshot) => {
        if (this.#hydrating) return;
        this.#dirty.set(id, snapshot);
        // A failed early write is retried by the flush that ends the call, which does report it.
        this.#writing = this.#writing.then(() => this.#writeDirty()).catch(() => {});
      },
    });
    this.pages = new OneTimePages({
      publicUrl: options.publicUrl,
      shared: {
        store: options.store,
        sealer: options.sealer,
        owner,
        count: (event, kind) => options.metrics.page(event, kind),
      },
    });
  }

  wizards(): HostedWizards {
    this.#wizards ??= new HostedWizards(this, {
      // A page served without its caller's token only moves a setup between steps that call nothing.
      client: createClient({
        ...this.#options.client,
        baseUrl: this.#options.apiUrl,
        token: this.#token ?? "no-token-on-this-request",
      }),
      pages: this.pages,
      store: this.cache,
      pats: this.pats,
    });
    return this.#wizards;
  }

  /** Reads a setup, its pasted PAT and its reveal page's state into this request. */
  async hydrate(id: string): Promise<"found" | "missing" | "expired"> {
    const known = this.#hydrated.get(id);
    if (known) return known;
    const { store, sealer } = this.#options;
    const stored = await store.loadWizard(id, this.owner);
    this.#hydrated.set(id, stored.state);
    if (stored.state !== "found") return stored.state;
    this.#versions.set(id, stored.version);
    this.#written.set(id, JSON.stringify(stored.snapshot));
    this.#hydrating = true;
    try {
      this.cache.save(id, stored.snapshot);
    } finally {
      this.#hydrating = false;
    }
    const sealed = await store.peekSealed(patKey(id));
    const pat = sealed && sealer.open(sealed, patKey(id));
    if (pat) {
      this.pats.put(id, pat);
      this.#loadedPats.add(id);
    }
    const parsed = PersistedSetup.safeParse(stored.snapshot);
    const step = parsed.success ? stepOf(parsed.data) : undefined;
    // Pasted on a replica that stopped before telling the setup.
    if (pat && step === "pastingPat") this.wizards().service.notify(id, { type: "PAT_PASTED" });
    const reveal = parsed.success ? parsed.data.context.reveal : undefined;
    if (reveal && step === "awaitingReveal") {
      const pageId = reveal.url.slice(reveal.url.lastIndexOf("/") + 1);
      const page = await this.pages.stateOf(pageId);
      // Shown on a replica that stopped before telling the setup: it was shown, never again.
      if (page === "spent" && Date.parse(reveal.expires_at) > Date.now())
        this.wizards().service.notify(id, { type: "SECRET_REVEALED" });
    }
    return "found";
  }

  notePasted(id: string, pat: string): void {
    this.#pasted.set(id, pat);
  }

  async #writeDirty(): Promise<void> {
    const saves = [...this.#dirty];
    this.#dirty.clear();
    try {
      for (const [id, snapshot] of saves) {
        if (this.#conflicts.has(id)) continue;
        // A restored actor re-emits what was read; writing it again would only look like a race.
        const text = JSON.stringify(snapshot);
        if (this.#written.get(id) === text) continue;
        this.#written.set(id, text);
        const version = this.#versions.get(id) ?? 0;
        if (await this.#options.store.saveWizard(id, this.owner, snapshot, version))
          this.#versions.set(id, version + 1);
        else await this.#settleRace(id, snapshot);
      }
    } catch (error) {
      for (const [id, snapshot] of saves) if (!this.#dirty.has(id)) this.#dirty.set(id, snapshot);
      throw error;
    }
  }

  /** Another call wrote first: when it reached the same step this call did, that is no conflict. */
  async #settleRace(id: string, snapshot: unknown): Promise<void> {
    const stored = await this.#options.store.loadWizard(id, this.owner);
    const ours = PersistedSetup.safeParse(snapshot);
    const theirs = stored.state === "found" ? PersistedSetup.safeParse(stored.snapshot) : undefined;
    if (
      stored.state === "found" &&
      ours.success &&
      theirs?.success &&
      JSON.stringify(ours.data.value) === JSON.stringify(theirs.data.value)
    )
      this.#versions.set(id, stored.version);
    else this.#conflicts.add(id);
  }

  /** Writes what this request changed back to the shared store. */
  async flush(): Promise<void> {
    const { store, sealer } = this.#options;
    this.#writing = this.#writing.catch(() => {}).then(() => this.#writeDirty());
    await this.#writing;
    for (const [id, pat] of this.#pasted) {
      await store.putSealed(patKey(id), sealer.seal(pat, patKey(id)), Date.now() + PAT_TTL_MS);
      this.#loadedPats.add(id);
    }
    this.#pasted.clear();
    for (const id of this.#loadedPats) {
      if (this.pats.has(id)) continue;
      // create used it (or it expired): it must not outlive this request anywhere.
      await store.deleteSealed(patKey(id));
      this.#loadedPats.delete(id);
    }
    if (this.#conflicts.size > 0) {
      throw new ToolFailure(
        "setup_changed",
        "Another call moved this setup on at the same moment, so this answer was not kept. Call get_inbound_webhook_wizard to see its current step, then answer that.",
      );
    }
  }

  /** Runs one wizard call; a close asked for meanwhile (the caller hung up) waits for it. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.#calls += 1;
    try {
      return await work();
    } finally {
      this.#calls -= 1;
      if (this.#closing && this.#calls === 0) this.close();
    }
  }

  close(): void {
    this.#closing = true;
    if (this.#calls > 0) return;
    this.#wizards?.close();
    this.cache.close();
    this.pats.clear();
  }
}

const patKey = (wizardId: string) => `pat:${wizardId}`;

/** The MCP wizards over one request's scope: each call reads its setup first and writes it back before answering. */
class HostedWizards extends McpWizards {
  readonly #scope: CallerScope;

  constructor(scope: CallerScope, deps: ConstructorParameters<typeof McpWizards>[0]) {
    super(deps);
    this.#scope = scope;
  }

  override start(input: { workflowId?: string; sender?: string }): Promise<WizardOutcome> {
    return this.#scope.during(async () => {
      try {
        return await super.start(input);
      } finally {
        await this.#scope.flush();
      }
    });
  }

  override get(id: string): Promise<WizardOutcome> {
    return this.#scope.during(async () => {
      const state = await this.#scope.hydrate(id);
      if (state !== "found") return { kind: state };
      try {
        return await super.get(id);
      } finally {
        await this.#scope.flush();
      }
    });
  }

  override send(id: string, event: Parameters<McpWizards["send"]>[1]): Promise<WizardOutcome> {
    return this.#scope.during(async () => {
      const state = await this.#scope.hydrate(id);
      if (state !== "found") return { kind: state };
      try {
        return await super.send(id, event);
      } finally {
        await this.#scope.flush();
      }
    });
  }
}

/** A paste landing on this replica: rebuild its setup's form here, then write the PAT back sealed. */
async function rebuildPasteForm(options: HostedRuntimeOptions, page: PageRow) {
  if (!page.owner || !page.wizardId) return undefined;
  const wizardId = page.wizardId;
  const stored = await options.store.loadWizard(wizardId, page.owner);
  if (stored.state !== "found") return undefined;
  const parsed = PersistedSetup.safeParse(stored.snapshot);
  // Only a setup waiting for the paste takes it; restoring any other step could call AgentRuntime.
  if (!parsed.success || stepOf(parsed.data) !== "pastingPat") return undefined;
  const scope = new CallerScope(options, page.owner, undefined);
  await scope.wizards().get(wizardId);
  const form = scope.pages.pasteFormOf(page.id);
  if (!form) {
    scope.close();
    return undefined;
  }
  const wrapped: PasteForm = {
    ...form,
    accept: (value) => {
      scope.notePasted(wizardId, value);
      form.accept(value);
    },
  };
  return {
    form: wrapped,
    settle: async () => {
      try {
        await scope.flush();
      } finally {
        scope.close();
      }
    },
  };
}

/** A reveal used on this replica moves its setup on at once. */
async function tellRevealed(options: HostedRuntimeOptions, page: PageRow): Promise<void> {
  if (page.kind !== "reveal" || !page.owner || !page.wizardId) return;
  const scope = new CallerScope(options, page.owner, undefined);
  try {
    if ((await scope.hydrate(page.wizardId)) !== "found") return;
    scope.wizards().service.notify(page.wizardId, { type: "SECRET_REVEALED" });
    await scope.flush();
  } finally {
    scope.close();
  }
}

/**
 * The hosted server's wiring: per request, the caller's token becomes their AgentRuntime
 * client and their identity; setups, pages and pasted PATs live in the shared store.
 */
export function createHostedRuntime(given: HostedRuntimeOptions): HostedRuntime {
  const options = { ...given, store: withSealedPageUrls(given.store, given.sealer) };
  const tools = options.tools.map((tool) => options.metrics.measure(tool));

  const pages = new OneTimePages({
    publicUrl: options.publicUrl,
    shared: {
      store: options.store,
      sealer: options.sealer,
      owner: null,
      pasteForm: (page) => rebuildPasteForm(options, page),
      onUsed: (page) => tellRevealed(options, page),
      count: (event, kind) => options.metrics.page(event, kind),
    },
  });

  return {
    pages,
    serverFor(token) {
      const scope = new CallerScope(options, ownerOf(token), token);
      const client = createClient({ ...options.client, baseUrl: options.apiUrl, token });
      const server = createMcpServer({
        client,
        tools,
        pages: scope.pages,
        wizards: async () => scope.wizards(),
        secretDelivery: options.secretDelivery,
        readOnly: options.readOnly,
        version: options.version,
        log: options.log,
      });
      const close = server.onclose;
      server.onclose = () => {
        close?.();
        scope.close();
      };
      return server;
    },
    async sweep() {
      const expired = await options.store.expirePages();
      await options.store.purge();
      options.metrics.pagesExpired(expired);
      return expired;
    },
  };
}
