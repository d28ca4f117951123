import type { AgentRuntimeClient } from "../client/client.js";
import type { ScalarRecord } from "../contract/schemas.js";
import type { OneTimePages } from "../pages/one-time-pages.js";
import { signingSecretPage } from "../pages/signing-secret-page.js";
import type { SetupRows } from "../setup-store/setup-store.js";
import { markJson, markUntrusted } from "../untrusted/mark.js";
import { patShapeProblem } from "../untrusted/secret-shapes.js";
import { provideWizard } from "../wizard/actors.js";
import { stepOf, type WizardSnapshot } from "../wizard/machine.js";
import { type Restoring, type SendOutcome, WizardService } from "../wizard/service.js";
import { describeStep, type Marks, type StepView } from "../wizard/steps.js";
import { MemoryVault } from "../wizard/vaults.js";
import { refuseReadOnlyToken } from "./create-permission.js";

/** A model reads these views: names, suggestions and upstream errors are marked as untrusted. */
const MODEL_MARKS: Marks = {
  line: (text, maxChars) => markUntrusted(text, maxChars),
  json: (value) => markJson(value) as ScalarRecord,
};

/** Pasted PATs and unrevealed secrets are kept no longer than a one-time page lives. */
const VAULT_TTL_MS = 15 * 60 * 1000;

export type WizardOutcome =
  | { kind: "view"; view: StepView }
  | { kind: "refused"; view: StepView }
  | { kind: "missing" }
  | { kind: "expired" };

/**
 * The wizard as the MCP server runs it: PAT pastes and secret reveals go through one-time
 * pages on loopback, and the pages tell the wizard when the person has used them.
 */
export class McpWizards {
  readonly service: WizardService;
  readonly #pages: OneTimePages;
  readonly #pasteLinks = new Map<string, { id: string; url: string; apiKeyId: string }>();
  /** Called once when the person has used a page (to end a URL elicitation), by page id. */
  readonly #pageWatchers = new Map<string, () => void>();
  readonly #pats: MemoryVault;
  readonly #secrets = new MemoryVault(VAULT_TTL_MS);
  readonly #client: AgentRuntimeClient;
  readonly #patHelp: string | undefined;

  constructor(deps: {
    client: AgentRuntimeClient;
    pages: OneTimePages;
    setups: SetupRows;
    /** Pasted PATs; a hosted server passes the ones it read from its setup store. */
    pats?: MemoryVault;
    /** On the local sandbox only: where the person reads the key's PAT for the curl test. */
    patHelp?: string;
    /** What a hosted server loads for a setup read from its setup store. */
    restoring?: Restoring;
  }) {
    this.#patHelp = deps.patHelp;
    this.#pages = deps.pages;
    this.#pats = deps.pats ?? new MemoryVault(VAULT_TTL_MS);
    this.#client = deps.client;
    const machine = provideWizard({
      client: deps.client,
      pats: this.#pats,
      secrets: this.#secrets,
      reveal: async (input, secret) => {
        const ingressUrl =
          (await this.#currentIngressUrl(input.subscription.id)) ?? input.subscription.ingress_url;
        const page = await deps.pages.createReveal(
          {
            ...signingSecretPage({
              value: secret,
              webhookName: input.subscription.name,
              ingressUrl,
              patHint: input.subscription.automation_pat_hint,
              curl: input.curlTest.replaceAll(input.subscription.ingress_url, ingressUrl),
            }),
            wizardId: input.wizardId,
          },
          () => {
            void this.service.notify(input.wizardId, { type: "SECRET_REVEALED" });
            this.#pageUsed(page.id);
          },
        );
        return { kind: "page", url: page.url, expires_at: page.expires_at };
      },
    });
    this.service = new WizardService({
      machine,
      setups: deps.setups,
      restoring: deps.restoring,
      onStep: (id, snapshot) => {
        const step = stepOf(snapshot);
        // A page that cannot be made now is made (or its failure reported) by the next view.
        if (step === "pastingPat") this.#ensurePastePage(id, snapshot).catch(() => {});
        // A PAT pasted for one key must not travel with another the person picks instead.
        if (step === "choosingKey") this.#pats.take(id);
      },
    });
  }

  async #ensurePastePage(
    id: string,
    snapshot: WizardSnapshot,
  ): Promise<{ id: string; url: string }> {
    const existing = this.#pasteLinks.get(id);
    const key = snapshot.context.apiKey;
    if (existing && existing.apiKeyId === key?.id && this.#pages.isLive(existing.id))
      return existing;
    const tail = key?.hint.slice(-4) ?? "";
    const page = await this.#pages.createPaste({
      wizardId: id,
      title: `Paste the PAT of "${key?.name ?? "the API key"}"`,
      label: `PAT (pat_…${tail})`,
      notes: [
        `AgentRuntime cannot read this API key's secret from Vault, so the webhook needs it once. Paste the pat_… token of "${key?.name ?? ""}" (it ends in ${tail}).`,
        "It is used for this one setup request and never stored or shown again.",
      ],
      check: (value) => {
        const problem = patShapeProblem(value);
        if (problem) return problem;
        if (tail && !value.endsWith(tail))
          return `That is not the PAT of "${key?.name}": its token ends in ${tail}.`;
        return undefined;
      },
      accept: (value) => {
        this.#pats.put(id, value);
        void this.service.notify(id, { type: "PAT_PASTED" });
        this.#pageUsed(page.id);
      },
    });
    const link = { id: page.id, url: page.url, apiKeyId: key?.id ?? "" };
    this.#pasteLinks.set(id, link);
    return link;
  }

  /**
   * A reveal page that expired lost the secret; one this process never served (after a
   * restart) is made again. Either way the machine is told, so the next view is true.
   */
  async #repairReveal(id: string, snapshot: WizardSnapshot): Promise<WizardSnapshot> {
    const reveal = snapshot.context.reveal;
    if (stepOf(snapshot) !== "awaitingReveal" || reveal?.kind !== "page") return snapshot;
    const expired = Date.parse(reveal.expires_at) <= Date.now();
    const pageId = reveal.url.slice(reveal.url.lastIndexOf("/") + 1);
    if (!expired && this.#pages.isLive(pageId)) return snapshot;
    const again = await this.service.send(
      id,
      expired ? { type: "SECRET_LOST" } : { type: "REVEAL_AGAIN" },
    );
    return again.kind === "accepted" ? again.snapshot : snapshot;
  }

  /** What a view needs beyond the snapshot: a live paste page, AgentRuntime's ingress URL now. */
  async #linksFor(id: string, snapshot: WizardSnapshot) {
    const paste =
      stepOf(snapshot) === "pastingPat" ? await this.#ensurePastePage(id, snapshot) : undefined;
    const subscriptionId = snapshot.context.subscription?.id;
    const ingressUrl = subscriptionId ? await this.#currentIngressUrl(subscriptionId) : undefined;
    return {
      pasteUrl: paste?.url,
      current: ingressUrl ? { ingressUrl } : undefined,
      patHelp: this.#patHelp,
    };
  }

  /** Repairs a lost reveal page, gathers the links, then projects the snapshot into a view. */
  async #answer(id: string, outcome: SendOutcome): Promise<WizardOutcome> {
    if (outcome.kind === "missing" || outcome.kind === "expired") return { kind: outcome.kind };
    const snapshot = await this.#repairReveal(id, outcome.snapshot);
    const view = describeStep(id, snapshot, await this.#linksFor(id, snapshot), MODEL_MARKS);
    return { kind: outcome.kind === "refused" ? "refused" : "view", view };
  }

  /** AgentRuntime's ingress URL for the webhook now; undefined when it cannot say. */
  async #currentIngressUrl(subscriptionId: string): Promise<string | undefined> {
    try {
      return (await this.#client.inboundWebhooks.get(subscriptionId)).ingress_url;
    } catch {
      return undefined;
    }
  }

  /** Runs `onUsed` once the page with this id has been used. */
  watchPage(pageId: string, onUsed: () => void): void {
    this.#pageWatchers.set(pageId, onUsed);
  }

  #pageUsed(pageId: string): void {
    const watcher = this.#pageWatchers.get(pageId);
    this.#pageWatchers.delete(pageId);
    watcher?.();
  }

  async start(input: { workflowId?: string; sender?: string }): Promise<WizardOutcome> {
    await refuseReadOnlyToken(this.#client);
    const { id, snapshot } = await this.service.start({ ...input, allowPick: true });
    return this.#answer(id, { kind: "accepted", snapshot });
  }

  async get(id: string): Promise<WizardOutcome> {
    return this.#answer(id, await this.service.get(id));
  }

  async send(id: string, event: Parameters<WizardService["send"]>[1]): Promise<WizardOutcome> {
    return this.#answer(id, await this.service.send(id, event));
  }

  close(): void {
    this.service.stopAll();
    this.#pats.clear();
    this.#secrets.clear();
    this.#pageWatchers.clear();
  }
}
