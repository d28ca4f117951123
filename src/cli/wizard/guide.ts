import * as ui from "@clack/prompts";
import type { SetupRows } from "../../setup-store/setup-store.js";
import { stepOf, type WizardEvent, type WizardSnapshot } from "../../wizard/machine.js";
import type { WizardService } from "../../wizard/service.js";
import { describeStep, type StepView } from "../../wizard/steps.js";
import type { TestReport } from "../../wizard/types.js";
import type { MemoryVault } from "../../wizard/vaults.js";
import type { Backend } from "../backend.js";
import { commandLine } from "../command-name.js";
import type { WizardFlags } from "./flags.js";
import { Interrupted } from "./terminal.js";

export type Io = {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
};

/** Ends the guide with a sentence for the person and an exit code. */
export class GuideStop extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "GuideStop";
  }
}

/** Where the terminal guide keeps the id of its unfinished setup, in the setup store. */
const RESUME_KEY = "terminal-guide";

/**
 * One run of the terminal guide: the wizard it drives, how it asks (prompts or flags), and
 * the two plaintexts it may hold in memory only: the signing secret until it is printed and
 * the test is sent, and a PAT pasted in this run, for that test request.
 */
export class Guide {
  snapshot: WizardSnapshot;
  /** The signing secret, from its reveal until the test request; never stored. */
  secret: string | undefined;
  /** A PAT pasted in this run, kept for the test request so it is not asked twice. */
  pastedPat: string | undefined;
  /** Where a PAT came from in script mode; a second paste of the same one is refused. */
  patSource: string | undefined;
  /** The secret was printed (or put in the JSON result) in this run. */
  secretShown = false;
  /** The ingress URL and curl test were printed in this run. */
  handedOver = false;
  /** The test report last shown (or sent from here), so a step shown again does not repeat it. */
  reportShown: TestReport | null = null;
  readonly result: Record<string, unknown> = {};
  #interrupt: (() => void) | undefined;

  constructor(
    readonly id: string,
    snapshot: WizardSnapshot,
    readonly deps: {
      service: WizardService;
      setups: SetupRows;
      pats: MemoryVault;
      backend: Backend;
      flags: WizardFlags;
      io: Io;
      interactive: boolean;
    },
  ) {
    this.snapshot = snapshot;
  }

  get flags(): WizardFlags {
    return this.deps.flags;
  }

  get interactive(): boolean {
    return this.deps.interactive;
  }

  get io(): Io {
    return this.deps.io;
  }

  view(): StepView {
    return describeStep(this.id, this.snapshot);
  }

  /** A problem: a warning in a terminal, stderr in scripts. */
  warn(line: string): void {
    if (this.interactive) ui.log.warn(line);
    else this.io.stderr.write(`${line}\n`);
  }

  /**
   * Sends an answer; while it runs, a spinner (or a stderr line) says what is happening and,
   * when it ends, what did happen: `outcome` reads the new step, so nothing says done early.
   */
  async send(
    event: WizardEvent,
    busy?: { doing: string; outcome: (step: ReturnType<typeof stepOf>) => string },
  ): Promise<void> {
    const spin = busy && this.interactive ? ui.spinner() : undefined;
    if (busy) {
      if (spin) spin.start(busy.doing);
      else this.io.stderr.write(`${busy.doing}\n`);
    }
    const interrupted = new Promise<never>((_, reject) => {
      this.#interrupt = () => reject(new Interrupted());
    });
    try {
      const outcome = await Promise.race([this.deps.service.send(this.id, event), interrupted]);
      if (outcome.kind !== "accepted" && outcome.kind !== "refused")
        throw new GuideStop("The wizard's saved steps were lost; run the wizard again.", 1);
      this.snapshot = outcome.snapshot;
    } catch (error) {
      spin?.stop("Stopped");
      throw error;
    } finally {
      this.#interrupt = undefined;
    }
    if (busy) {
      const said = busy.outcome(stepOf(this.snapshot));
      if (spin) spin.stop(said);
      else this.io.stderr.write(`${said}\n`);
    }
  }

  /** Ctrl+C while an answer is being worked on: stop waiting for it. */
  interrupt(): void {
    this.#interrupt?.();
  }

  /** Remembers this setup as the one to offer to continue, until it ends. */
  remember(): Promise<void> {
    return this.#point(this.id);
  }

  forget(): Promise<void> {
    return this.#point(null);
  }

  async #point(wizardId: string | null): Promise<void> {
    const { setups } = this.deps;
    const stored = await setups.load(RESUME_KEY);
    await setups.save(
      RESUME_KEY,
      { wizard_id: wizardId },
      stored.state === "found" ? stored.version : 0,
    );
  }

  /** The unfinished setup this data folder's guide last left, if any. */
  static async unfinished(setups: SetupRows): Promise<string | undefined> {
    const stored = await setups.load(RESUME_KEY);
    if (stored.state !== "found") return undefined;
    const pointer = stored.snapshot;
    return typeof pointer === "object" &&
      pointer !== null &&
      "wizard_id" in pointer &&
      typeof pointer.wizard_id === "string"
      ? pointer.wizard_id
      : undefined;
  }
}

/** Where a setup is, in the person's words (never the step's internal name). */
export function personLineOf(id: string, snapshot: WizardSnapshot): string {
  return describeStep(id, snapshot).person.line;
}

/**
 * What the person is told when they stop with Ctrl+C or Esc: nothing was created (and the
 * answers are kept), or what was created and what they still hold.
 */
export function stopWords(guide: Guide): string {
  const subscription = guide.snapshot.context.subscription;
  if (!subscription) {
    return `Stopped: nothing was created. Your answers are kept: run \`${commandLine("wizard", guide.io.env)}\` again to continue where you stopped, or to start fresh.`;
  }
  const held = guide.secretShown
    ? "You hold its signing secret (printed above; it is not shown again)."
    : "Its signing secret was not shown and cannot be shown again: have it rotated (Autopilot or any MCP host can rotate the signing secret) before a sender needs it.";
  return `Stopped. The inbound webhook "${subscription.name}" was created; senders POST to ${subscription.ingress_url}. ${held}`;
}
