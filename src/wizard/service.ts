import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { type Actor, createActor, type Snapshot, waitFor } from "xstate";
import type { SetupRows } from "../setup-store/setup-store.js";
import type { ProvidedWizard } from "./actors.js";
import {
  isBusy,
  stepOf,
  type WizardEvent,
  type WizardInput,
  type WizardSnapshot,
} from "./machine.js";

export type SendOutcome =
  | { kind: "accepted"; snapshot: WizardSnapshot }
  | { kind: "refused"; snapshot: WizardSnapshot }
  | { kind: "missing" }
  | { kind: "expired" };

/** Whether every step this service took was kept, or another process moved a setup on first. */
export type FlushOutcome = "kept" | "overtaken";

/**
 * Runs wizards: one live actor per wizard id, every snapshot written to the setup store as it
 * happens, restored from the store when this process has not seen the setup (after a restart,
 * or on another replica). An in-flight step runs again on restore, which the actors make safe.
 */
export class WizardService {
  readonly #machine: ProvidedWizard;
  readonly #setups: SetupRows;
  readonly #live = new Map<string, Actor<ProvidedWizard>>();
  readonly #restores = new Map<string, Promise<Actor<ProvidedWizard> | "missing" | "expired">>();
  readonly #settleMs: number;
  /** Called on every step change, for hosts that act on a step (a paste page, a reveal). */
  readonly #onStep: ((id: string, snapshot: WizardSnapshot) => void) | undefined;
  readonly #restoring: Restoring | undefined;
  /** The stored version of each setup this service read or wrote; a write builds on it. */
  readonly #versions = new Map<string, number>();
  /** The last snapshot of each setup known to be stored, as text. */
  readonly #written = new Map<string, string>();
  /** Setups another process wrote first: this service's later steps are not written over them. */
  readonly #overtaken = new Set<string>();
  /** The newest unwritten snapshot of each setup. */
  readonly #unwritten = new Map<string, unknown>();
  /** Host events being delivered; a flush waits for the steps they cause. */
  readonly #notifying = new Set<Promise<void>>();
  /** Writes in order, so each builds on the version the one before it made. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: {
    machine: ProvidedWizard;
    setups: SetupRows;
    settleMs?: number;
    onStep?: (id: string, snapshot: WizardSnapshot) => void;
    restoring?: Restoring;
  }) {
    this.#machine = options.machine;
    this.#setups = options.setups;
    this.#settleMs = options.settleMs ?? 60_000;
    this.#onStep = options.onStep;
    this.#restoring = options.restoring;
  }

  #watch(id: string, actor: Actor<ProvidedWizard>): Actor<ProvidedWizard> {
    let lastStep: string | undefined;
    actor.subscribe({
      next: (snapshot) => {
        this.#persist(id, actor.getPersistedSnapshot());
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

  /** Queues a write; each step is written as it happens, so a step that waits survives this process. */
  #persist(id: string, snapshot: unknown): void {
    this.#unwritten.set(id, snapshot);
    // A failed write is tried again by the flush that ends the call, which does report it.
    // After a failed flush the chain is rejected: this write must not be skipped with it.
    this.#writing = this.#writing
      .catch(() => {})
      .then(() => this.#writeUnwritten())
      .catch(() => {});
  }

  async #writeUnwritten(): Promise<void> {
    const saves = [...this.#unwritten];
    this.#unwritten.clear();
    try {
      for (const [id, snapshot] of saves) {
        if (this.#overtaken.has(id)) continue;
        // A restored actor re-emits what was read; writing it again would only look like a race.
        const text = JSON.stringify(snapshot);
        if (this.#written.get(id) === text) continue;
        const version = this.#versions.get(id) ?? 0;
        if (await this.#setups.save(id, snapshot, version)) {
          this.#versions.set(id, version + 1);
          this.#written.set(id, text);
        } else await this.#settleRace(id, snapshot);
      }
    } catch (error) {
      for (const [id, snapshot] of saves)
        if (!this.#unwritten.has(id)) this.#unwritten.set(id, snapshot);
      throw error;
    }
  }

  /** Another process wrote first: when it reached the same step this one did, that is no conflict. */
  async #settleRace(id: string, snapshot: unknown): Promise<void> {
    const stored = await this.#setups.load(id);
    if (
      stored.state === "found" &&
      isDeepStrictEqual(stateValueOf(stored.snapshot), stateValueOf(snapshot))
    ) {
      this.#versions.set(id, stored.version);
      this.#written.set(id, JSON.stringify(stored.snapshot));
    } else this.#overtaken.add(id);
  }

  /**
   * Waits until every step taken so far is stored; a write that fails throws. `overtaken` when
   * another process moved one of these setups on first, so this one's later steps were not kept.
   */
  async flush(): Promise<FlushOutcome> {
    while (this.#notifying.size > 0) await Promise.all(this.#notifying);
    this.#writing = this.#writing.catch(() => {}).then(() => this.#writeUnwritten());
    await this.#writing;
    return this.#overtaken.size > 0 ? "overtaken" : "kept";
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
    this.#persist(id, actor.getPersistedSnapshot());
    const snapshot = await this.#settle(actor);
    await this.flush();
    return { id, snapshot };
  }

  /** The live actor, restored from the store when this process has not seen it yet. */
  #actor(id: string): Promise<Actor<ProvidedWizard> | "missing" | "expired"> {
    const live = this.#live.get(id);
    if (live) return Promise.resolve(live);
    let restore = this.#restores.get(id);
    if (!restore) {
      restore = this.#restore(id).finally(() => this.#restores.delete(id));
      this.#restores.set(id, restore);
    }
    return restore;
  }

  async #restore(id: string): Promise<Actor<ProvidedWizard> | "missing" | "expired"> {
    const stored = await this.#setups.load(id);
    if (stored.state !== "found") return stored.state;
    if (!isPersistedSnapshot(stored.snapshot)) return "missing";
    this.#versions.set(id, stored.version);
    this.#written.set(id, JSON.stringify(stored.snapshot));
    const arrived = (await this.#restoring?.(id, stored.snapshot)) ?? [];
    const actor = this.#watch(
      id,
      createActor(this.#machine, {
        snapshot: stored.snapshot,
        // Required by the machine's type, unused: a restored actor keeps its snapshot's context.
        input: { wizardId: id, allowPick: false },
      }),
    );
    actor.start();
    for (const event of arrived) if (actor.getSnapshot().can(event)) actor.send(event);
    return actor;
  }

  async get(id: string): Promise<SendOutcome> {
    const actor = await this.#actor(id);
    if (typeof actor === "string") return { kind: actor };
    const snapshot = await this.#settle(actor);
    await this.flush();
    return { kind: "accepted", snapshot };
  }

  /** Sends an answer if the current step accepts it; a refused answer changes nothing. */
  async send(id: string, event: WizardEvent): Promise<SendOutcome> {
    const actor = await this.#actor(id);
    if (typeof actor === "string") return { kind: actor };
    const before = await this.#settle(actor);
    if (before.status !== "active" || !before.can(event))
      return { kind: "refused", snapshot: before };
    actor.send(event);
    const snapshot = await this.#settle(actor);
    await this.flush();
    return { kind: "accepted", snapshot };
  }

  /**
   * Host events (a PAT pasted, a secret revealed) that arrive outside a tool call. One that cannot
   * be delivered (the store did not answer) is dropped: the next restore finds the page used.
   */
  notify(id: string, event: WizardEvent): Promise<void> {
    const delivery = this.#actor(id).then(
      (actor) => {
        if (typeof actor !== "string" && actor.getSnapshot().can(event)) actor.send(event);
      },
      () => {},
    );
    this.#notifying.add(delivery);
    return delivery.finally(() => this.#notifying.delete(delivery));
  }

  stopAll(): void {
    for (const actor of this.#live.values()) actor.stop();
    this.#live.clear();
  }
}

/**
 * Told of a setup read from the store before its actor starts, so a host can load what the
 * setup's in-flight step needs; answers the events that arrived meanwhile (a paste, a reveal).
 */
export type Restoring = (id: string, snapshot: unknown) => Promise<readonly WizardEvent[]>;

/** Where a persisted snapshot stands: XState's state value. */
const stateValueOf = (snapshot: unknown): unknown =>
  typeof snapshot === "object" && snapshot !== null && "value" in snapshot
    ? snapshot.value
    : undefined;

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
