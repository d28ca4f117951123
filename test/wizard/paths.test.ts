import { getShortestPaths, getSimplePaths } from "@xstate/graph";
import { describe, expect, it } from "vitest";
import { stepOf, type WizardSnapshot } from "../../src/wizard/machine.js";
import { describeStep, eventFor } from "../../src/wizard/steps.js";
import { WizardActorError } from "../../src/wizard/types.js";
import {
  ACCEPTED_TEST,
  CREATED,
  DRAFT,
  LEGACY_KEY,
  machineWith,
  PAGE,
  PLANTED_PAT,
  PLANTED_SECRET,
  REJECTED_TEST,
  SAVED,
  VAULT_KEY,
} from "./fixtures.js";

type AnyEvent = { type: string; [key: string]: unknown };
type Snapshot = Parameters<NonNullable<Parameters<typeof getShortestPaths>[1]>["toState"] & {}>[0];

const done = (id: string, output: unknown): AnyEvent => ({
  type: `xstate.done.actor.${id}`,
  output,
});
const failed = (id: string, code: string): AnyEvent => ({
  type: `xstate.error.actor.${id}`,
  error: new WizardActorError(code, `${id} failed with ${code}`),
});

/**
 * The events each step can meet: the person's answers (good and bad), and, for a step that
 * runs an actor, that actor's possible outcomes, which the graph cannot run itself.
 */
function eventsAt(snapshot: Snapshot): AnyEvent[] {
  const step = stepOf(snapshot as never);
  const answers: AnyEvent[] = [{ type: "CANCEL" }, { type: "BACK" }, { type: "RETRY" }];
  switch (step) {
    case "loadingWorkflow":
      return [
        done("loadWorkflow", SAVED),
        done("loadWorkflow", DRAFT),
        failed("loadWorkflow", "workflow_not_found"),
        failed("loadWorkflow", "timeout"),
        ...answers,
      ];
    case "loadingWorkflows":
      return [
        done("listWorkflows", [SAVED, DRAFT]),
        failed("listWorkflows", "timeout"),
        ...answers,
      ];
    case "choosingWorkflow":
      return [
        { type: "PICK_WORKFLOW", workflowId: SAVED.id },
        { type: "PICK_WORKFLOW", workflowId: DRAFT.id },
        ...answers,
      ];
    case "loadingNames":
      return [done("listNames", ["taken"]), failed("listNames", "timeout"), ...answers];
    case "naming":
      return [
        { type: "SET_NAME", name: "shopify-orders" },
        { type: "SET_NAME", name: "taken" },
        { type: "SET_NAME", name: PLANTED_PAT },
        ...answers,
      ];
    case "loadingKeys":
      return [
        done("listApiKeys", [VAULT_KEY, LEGACY_KEY]),
        done("listApiKeys", []),
        failed("listApiKeys", "timeout"),
        ...answers,
      ];
    case "choosingKey":
      return [
        { type: "CHOOSE_KEY", apiKeyId: VAULT_KEY.id },
        { type: "CHOOSE_KEY", apiKeyId: LEGACY_KEY.id },
        { type: "PASTE_INSTEAD", apiKeyId: VAULT_KEY.id },
        ...answers,
      ];
    case "pastingPat":
      return [{ type: "PAT_PASTED" }, ...answers];
    case "extras":
      return [
        { type: "SKIP_EXTRAS" },
        {
          type: "SET_EXTRAS",
          extras: { use_run_setup_defaults: true, trigger_payload: { source: "shopify" } },
        },
        ...answers,
      ];
    case "confirming":
      return [
        { type: "CONFIRM" },
        { type: "EDIT", answer: "name" },
        { type: "EDIT", answer: "api_key" },
        { type: "EDIT", answer: "extras" },
        { type: "EDIT", answer: "workflow" },
        ...answers,
      ];
    case "creating":
      return [
        done("createSubscription", CREATED),
        failed("createSubscription", "pat_secret_not_in_vault"),
        failed("createSubscription", "name_taken"),
        failed("createSubscription", "timeout"),
        ...answers,
      ];
    case "revealing":
      return [
        done("prepareReveal", PAGE),
        failed("prepareReveal", "secret_unavailable"),
        ...answers,
      ];
    case "awaitingReveal":
      return [
        { type: "SECRET_REVEALED" },
        { type: "SECRET_LOST" },
        { type: "REVEAL_AGAIN" },
        { type: "FINISH" },
        ...answers,
      ];
    case "handingOver":
    case "testReported":
      return [
        { type: "FINISH" },
        { type: "SECRET_REVEALED" },
        { type: "WAIT_FOR_TEST" },
        { type: "SEND_TEST" },
        ...answers,
      ];
    case "waitingForTest":
      return [done("waitForTest", REJECTED_TEST), failed("waitForTest", "timeout"), ...answers];
    case "sendingTest":
      return [
        done("sendTest", ACCEPTED_TEST),
        failed("sendTest", "pat_secret_not_in_vault"),
        ...answers,
      ];
    default:
      return answers;
  }
}

/**
 * States that differ only in loaded data count as one, so simple paths stay finite: the
 * state (modes included), and the answers that change what may happen next.
 */
function serializeState(state: Snapshot): string {
  const { value, context } = state as { value: unknown; context: Record<string, unknown> };
  const flags = ["pastePat", "secretLost"].map((key) => (context[key] ? 1 : 0));
  return `${JSON.stringify(value)}|${flags.join("")}|${context.workflow ? 1 : 0}|${context.name ? 1 : 0}`;
}

const leaked = (value: unknown) => {
  const text = JSON.stringify(value);
  return (
    text.includes(PLANTED_SECRET) ||
    text.includes(PLANTED_PAT) ||
    /whsec_|pat_[A-Za-z0-9]{16,}/.test(text)
  );
};

/** Every answer the step lists, and every option of it, is one the machine takes. */
function expectOnlyTakenAnswers(snapshot: WizardSnapshot) {
  if (snapshot.status !== "active") return;
  for (const answer of describeStep("w", snapshot).answers) {
    // typed answers (a name, extras) are checked against their rules, not listed as options
    const values = answer.options?.map((option) => option.value) ?? [undefined];
    for (const value of answer.action === "set_name" ? [] : values) {
      const event = eventFor(answer.action, {
        value,
        use_run_setup_defaults: true,
        trigger_payload: {},
      });
      if (event === "continue") continue;
      expect(snapshot.can(event), `${stepOf(snapshot)} lists ${answer.action} ${value}`).toBe(true);
    }
  }
}

function checkPath(path: { state: Snapshot; steps: { state: Snapshot; event: AnyEvent }[] }) {
  const steps = path.steps.map((step) => stepOf(step.state as never));
  // the secret is revealed at most once along any path
  expect(
    path.steps.filter(
      (s) => s.event.type === "SECRET_REVEALED" && stepOf(s.state as never) === "handingOver",
    ).length,
  ).toBeLessThanOrEqual(1);
  // a reveal prepared again (after a restart) never follows a reveal that happened
  const revealedAt = steps.indexOf("handingOver");
  if (revealedAt >= 0) expect(steps.slice(revealedAt)).not.toContain("awaitingReveal");
  // create runs only with a saved workflow, a valid name and a key
  for (const step of path.steps) {
    if (stepOf(step.state as never) === "creating") {
      const context = (
        step.state as {
          context: { workflow: { status: string } | null; name: string | null; apiKey: unknown };
        }
      ).context;
      expect(context.workflow?.status).toBe("saved");
      expect(context.name).toBe("shopify-orders");
      expect(context.apiKey).not.toBeNull();
    }
    // no snapshot on the way holds a secret or a PAT
    expect(leaked((step.state as { context: unknown }).context)).toBe(false);
    expectOnlyTakenAnswers(step.state as WizardSnapshot);
  }
  const final = path.state as { status: string; value: unknown };
  if (final.status === "done") expect(["done", "cancelled"]).toContain(final.value);
}

describe("model-based paths through the wizard", () => {
  for (const held of [true, false]) {
    for (const input of [
      { wizardId: "w", workflowId: SAVED.id, allowPick: true },
      { wizardId: "w", workflowId: DRAFT.id, allowPick: false },
      { wizardId: "w", allowPick: true },
    ]) {
      const label = `PAT ${held ? "held" : "not held"}, ${JSON.stringify(input)}`;
      const machine = machineWith({ patHeld: () => held });

      it(`shortest paths reach every state safely (${label})`, () => {
        const paths = getShortestPaths(machine, {
          input,
          events: eventsAt as never,
          serializeState: serializeState as never,
        });
        expect(paths.length).toBeGreaterThan(3);
        for (const path of paths) checkPath(path as never);
        const finals = paths.filter((p) => (p.state as { status: string }).status === "done");
        expect(finals.length).toBeGreaterThan(0);
        for (const path of finals)
          expect(["done", "cancelled"]).toContain((path.state as { value: string }).value);
      });

      it(`simple paths to an end all end in done or cancelled (${label})`, {
        timeout: 180_000,
      }, () => {
        const paths = getSimplePaths(machine, {
          input,
          events: eventsAt as never,
          serializeState: serializeState as never,
          toState: (state) => (state as { status: string }).status === "done",
        });
        for (const path of paths) {
          checkPath(path as never);
          expect(["done", "cancelled"]).toContain((path.state as { value: string }).value);
        }
        if (input.workflowId === SAVED.id && held) {
          // with a saved workflow, someone can reach done, and every such path revealed the secret or said it was lost
          const reachedDone = paths.filter((p) => (p.state as { value: string }).value === "done");
          expect(reachedDone.length).toBeGreaterThan(0);
          for (const path of reachedDone) {
            const revealed = path.steps.some((s) => s.event.type === "SECRET_REVEALED");
            const { secretLost } = (path.state as { context: { secretLost: boolean } }).context;
            expect(revealed || secretLost).toBe(true);
          }
        }
      });
    }
  }
});
