import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { StateValue } from "xstate";
import { z } from "zod";
import { type ClientOptions, createClient } from "../client/client.js";
import { createMcpServer } from "../mcp/server.js";
import { type SecretDelivery, type ToolDefinition, ToolFailure } from "../mcp/tool.js";
import { McpWizards, type WizardOutcome } from "../mcp/wizards.js";
import { OneTimePages, type PasteForm } from "../pages/one-time-pages.js";
import type { PageRow } from "../setup-store/page-rows.js";
import type { Sealer } from "../setup-store/seal.js";
import type { SetupStore } from "../setup-store/setup-store.js";
import { stepOf, type WizardEvent } from "../wizard/machine.js";
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
    pastePat: z.boolean().optional(),
    reveal: z
      .object({ kind: z.literal("page"), url: z.string(), expires_at: z.string() })
      .nullable()
      .optional(),
  }),
});

export interface HostedRuntimeOptions {
  store: SetupStore;
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
  /** Serves `/once/<id>` from the setup store. */
  pages: OneTimePages;
  /** Wipes expired pages and idle setups; returns how many pages expired. */
  sweep(): Promise<number>;
}

/**
 * One caller's view of the setup store for the length of one request: a wizard call reads its
 * setup from the store and writes every step back to it before answering, so the next request
 * may land on any replica.
 */
class CallerScope {
  readonly owner: string;
  readonly pages: OneTimePages;
  readonly pats = new MemoryVault(PAT_TTL_MS);
  readonly #options: HostedRuntimeOptions;
  readonly #token: string | undefined;
  readonly #loadedPats = new Set<string>();
  readonly #pasted = new Map<string, string>();
  #calls = 0;
  #closing = false;
  #wizards: HostedWizards | undefined;

  constructor(options: HostedRuntimeOptions, owner: string, token: string | undefined) {
    this.#options = options;
    this.owner = owner;
    this.#token = token;
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
      setups: this.#options.store.setupsOf(this.owner),
      pats: this.pats,
      restoring: (id, snapshot) => this.#restoring(id, snapshot),
    });
    return this.#wizards;
  }

  /** Before a stored setup runs here: its pasted PAT, and what became of its pages meanwhile. */
  async #restoring(id: string, snapshot: unknown): Promise<WizardEvent[]> {
    const { store, sealer } = this.#options;
    const arrived: WizardEvent[] = [];
    const parsed = PersistedSetup.safeParse(snapshot);
    const step = parsed.success ? stepOf(parsed.data) : undefined;
    // Only a setup whose PAT is pasted can have one waiting; the others skip a query per call.
    const sealed =
      !parsed.success || parsed.data.context.pastePat !== false
        ? await store.peekSealed(patKey(id))
        : undefined;
    const pat = sealed && sealer.open(sealed, patKey(id));
    if (pat) {
      this.pats.put(id, pat);
      this.#loadedPats.add(id);
    }
    // Pasted on a replica that stopped before telling the setup.
    if (pat && step === "pastingPat") arrived.push({ type: "PAT_PASTED" });
    const reveal = parsed.success ? parsed.data.context.reveal : undefined;
    if (reveal && step === "awaitingReveal") {
      const pageId = reveal.url.slice(reveal.url.lastIndexOf("/") + 1);
      const page = await this.pages.stateOf(pageId);
      // Shown on a replica that stopped before telling the setup: it was shown, never again.
      if (page === "spent" && Date.parse(reveal.expires_at) > Date.now())
        arrived.push({ type: "SECRET_REVEALED" });
    }
    return arrived;
  }

  notePasted(id: string, pat: string): void {
    this.#pasted.set(id, pat);
  }

  /** Waits for this request's steps to be stored, and stores or wipes its pasted PATs. */
  async flush(): Promise<void> {
    const { store, sealer } = this.#options;
    const outcome = await this.#wizards?.service.flush();
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
    if (outcome === "overtaken") {
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
      try {
        return await super.get(id);
      } finally {
        await this.#scope.flush();
      }
    });
  }

  override send(id: string, event: Parameters<McpWizards["send"]>[1]): Promise<WizardOutcome> {
    return this.#scope.during(async () => {
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
  const stored = await options.store.setupsOf(page.owner).load(wizardId);
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
    await scope.wizards().service.notify(page.wizardId, { type: "SECRET_REVEALED" });
    await scope.flush();
  } finally {
    scope.close();
  }
}

/**
 * The hosted server's wiring: per request, the caller's token becomes their AgentRuntime
 * client and their identity; setups, pages and pasted PATs live in the setup store.
 */
export function createHostedRuntime(given: HostedRuntimeOptions): HostedRuntime {
  const options = { ...given, store: withSealedPageUrls(given.store, given.sealer) };
  const tools = options.tools.map((tool) => options.metrics.measure(tool));
  // Building Ajv took a tenth of a replica's time when every request built its own.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();

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
        jsonSchemaValidator,
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
