import { randomUUID } from "node:crypto";
import { type Actor, createActor, type Snapshot, waitFor } from "xstate";
import type { ProvidedWizard } from "./actors.js";
import {
  isBusy,
  stepOf,
  type WizardEvent,
  type WizardInput,
  type WizardSnapshot,
} from "./machine.js";
import type { WizardStore } from "./store.js";

export type SendOutcome =
  | { kind: "accepted"; snapshot: WizardSnapshot }
  | { kind: "refused"; snapshot: WizardSnapshot }
  | { kind: "missing" }
  | { kind: "expired" };

/**
 * Runs wizards: one live actor per wizard id, every snapshot persisted, restored from the
 * store after a restart (an in-flight step runs again, which the actors make safe).
 */
export class WizardService {
  readonly #machine: ProvidedWizard;
  readonly #store: WizardStore;
  readonly #live = new Map<string, Actor<ProvidedWizard>>();
  readonly #settleMs: number;
  /** Called on every step change, for hosts that act on a step (a paste page, a reveal). */
  readonly #onStep: ((id: string, snapshot: WizardSnapshot) => void) | undefined;

  constructor(options: {
    machine: ProvidedWizard;
    store: WizardStore;
    settleMs?: number;
    onStep?: (id: string, snapshot: WizardSnapshot) => void;
  }) {
    this.#machine = options.machine;
    this.#store = options.store;
    this.#settleMs = options.settleMs ?? 60_000;
    this.#onStep = options.onStep;
  }

  #watch(id: string, actor: Actor<ProvidedWizard>): Actor<ProvidedWizard> {
    let lastStep: string | undefined;
    actor.subscribe({
      next: (snapshot) => {
        this.#store.save(id, actor.getPersistedSnapshot());
        const step = stepOf(snapshot);
        if (step !== lastStep) {
          lastStep = step;
          this.#onStep?.(id, snapshot);
        }
      },
      error: () => {},
    });
    this.#live.set(id, actor);
    return actor;
  }

  async #settle(actor: Actor<ProvidedWizard>): Promise<WizardSnapshot> {
    return waitFor(actor, (snapshot) => !isBusy(snapshot), { timeout: this.#settleMs });
  }

  async start(
    input: Omit<WizardInput, "wizardId">,
  ): Promise<{ id: string; snapshot: WizardSnapshot }> {
    const id = randomUUID();
    const actor = this.#watch(
      id,
      createActor(this.#machine, { input: { ...input, wizardId: id } }),
    );
    actor.start();
    this.#store.save(id, actor.getPersistedSnapshot());
    return { id, snapshot: await this.#settle(actor) };
  }

  /** The live actor, restored from the store when this process has not seen it yet. */
  #actor(id: string): Actor<ProvidedWizard> | "missing" | "expired" {
    const live = this.#live.get(id);
    if (live) return live;
    const stored = this.#store.load(id);
    if (stored.state !== "found") return stored.state;
    if (!isPersistedSnapshot(stored.snapshot)) return "missing";
    const actor = this.#watch(
      id,
      createActor(this.#machine, {
        snapshot: stored.snapshot,
        // Required by the machine's type, unused: a restored actor keeps its snapshot's context.
        input: { wizardId: id, allowPick: false },
      }),
    );
    actor.start();
    return actor;
  }

  async get(id: string): Promise<SendOutcome> {
    const actor = this.#actor(id);
    if (typeof actor === "string") return { kind: actor };
    return { kind: "accepted", snapshot: await this.#settle(actor) };
  }

  /** Sends an answer if the current step accepts it; a refused answer changes nothing. */
  async send(id: string, event: WizardEvent): Promise<SendOutcome> {
    const actor = this.#actor(id);
    if (typeof actor === "string") return { kind: actor };
    const before = await this.#settle(actor);
    if (before.status !== "active" || !before.can(event))
      return { kind: "refused", snapshot: before };
    actor.send(event);
    return { kind: "accepted", snapshot: await this.#settle(actor) };
  }

  /** Host events (a PAT pasted, a secret revealed) that arrive outside a tool call. */
  notify(id: string, event: WizardEvent): void {
    const actor = this.#actor(id);
    if (typeof actor !== "string" && actor.getSnapshot().can(event)) actor.send(event);
  }

  stopAll(): void {
    for (const actor of this.#live.values()) actor.stop();
    this.#live.clear();
  }
}

/** Whether a stored value has the shape XState restores an actor from. */
function isPersistedSnapshot(value: unknown): value is Snapshot<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    "status" in value &&
    typeof value.status === "string" &&
    ["active", "done", "error", "stopped"].includes(value.status)
  );
}
