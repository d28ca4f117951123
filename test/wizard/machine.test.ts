import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createActor, waitFor } from "xstate";
import {
  isBusy,
  OPEN_SAVED_WORKFLOW,
  secretRevealed,
  stepOf,
  suggestNames,
  WIZARD_STEPS,
  wizardMachine,
} from "../../src/wizard/machine.js";
import { describeStep } from "../../src/wizard/steps.js";
import { WizardActorError } from "../../src/wizard/types.js";
import {
  CREATED,
  DRAFT,
  LEGACY_KEY,
  machineWith,
  PLANTED_PAT,
  PLANTED_SECRET,
  SAVED,
  VAULT_KEY,
} from "./fixtures.js";

async function settle(actor: ReturnType<typeof start>) {
  return waitFor(actor, (s) => !isBusy(s));
}

function start(
  machine = machineWith(),
  input: { workflowId?: string; sender?: string; allowPick?: boolean } = {},
) {
  const actor = createActor(machine, {
    input: { wizardId: "w-1", workflowId: SAVED.id, allowPick: true, ...input },
  });
  actor.start();
  return actor;
}

async function walkTo(step: string, machine = machineWith()) {
  const actor = start(machine, { sender: "Shopify" });
  const plan: Record<string, () => void> = {
    naming: () => {},
    choosingKey: () => actor.send({ type: "SET_NAME", name: "shopify-orders" }),
    extras: () => actor.send({ type: "CHOOSE_KEY", apiKeyId: VAULT_KEY.id }),
    confirming: () => actor.send({ type: "SKIP_EXTRAS" }),
    awaitingReveal: () => actor.send({ type: "CONFIRM" }),
    handingOver: () => actor.send({ type: "SECRET_REVEALED" }),
    done: () => actor.send({ type: "FINISH" }),
  };
  for (const [name, go] of Object.entries(plan)) {
    go();
    await settle(actor);
    if (name === step) break;
  }
  expect(stepOf(actor.getSnapshot())).toBe(step);
  return actor;
}

describe("taking the workflow context", () => {
  it("goes straight to naming for a saved workflow", async () => {
    const actor = start();
    const snapshot = await settle(actor);
    expect(stepOf(snapshot)).toBe("naming");
    expect(snapshot.context.workflow).toEqual(SAVED);
  });

  it("answers a draft with the documentation's sentence, naming the draft, and offers saved workflows", async () => {
    const snapshot = await settle(start(machineWith(), { workflowId: DRAFT.id }));
    expect(stepOf(snapshot)).toBe("choosingWorkflow");
    expect(snapshot.context.problem?.message).toBe(`"Draft" is a draft. ${OPEN_SAVED_WORKFLOW}`);
    expect(snapshot.can({ type: "PICK_WORKFLOW", workflowId: DRAFT.id })).toBe(false);
    expect(snapshot.can({ type: "PICK_WORKFLOW", workflowId: "nope" })).toBe(false);
    expect(snapshot.can({ type: "PICK_WORKFLOW", workflowId: SAVED.id })).toBe(true);
  });

  it("answers a missing workflow the same way", async () => {
    const snapshot = await settle(
      start(machineWith(), { workflowId: "99999999-9999-4999-8999-999999999999" }),
    );
    expect(stepOf(snapshot)).toBe("choosingWorkflow");
    expect(snapshot.context.problem?.message).toBe(OPEN_SAVED_WORKFLOW);
  });

  it("ends with the sentence when the host allows no pick", async () => {
    for (const workflowId of [DRAFT.id, undefined]) {
      const snapshot = await settle(start(machineWith(), { workflowId, allowPick: false }));
      expect(snapshot.value).toBe("cancelled");
      expect(snapshot.context.problem?.message).toMatch(new RegExp(`${OPEN_SAVED_WORKFLOW}$`));
      expect(describeStep("w-1", snapshot).say).toContain(OPEN_SAVED_WORKFLOW);
    }
  });

  it("offers retry when AgentRuntime is unreachable, and retries the same step", async () => {
    let calls = 0;
    const machine = machineWith({
      loadWorkflow: async () => {
        calls += 1;
        if (calls === 1)
          throw new WizardActorError("connection_failed", "AgentRuntime could not be reached.");
        return SAVED;
      },
    });
    const actor = start(machine);
    expect(stepOf(await settle(actor))).toBe("unavailable");
    actor.send({ type: "RETRY" });
    expect(stepOf(await settle(actor))).toBe("naming");
    expect(calls).toBe(2);
  });
});

describe("naming", () => {
  it("suggests free names from the sender and the workflow", () => {
    expect(suggestNames("Fulfil Shopify order", "Shopify", [])).toEqual([
      "shopify-events",
      "shopify-fulfil-shopify-order",
      "fulfil-shopify-order-webhook",
    ]);
    expect(suggestNames("Weekly", null, ["weekly-webhook"])).toEqual(["weekly-inbound"]);
  });

  it("accepts a valid free name and refuses taken, empty, long, control and secret-shaped names", async () => {
    const snapshot = await settle(start(machineWith({ taken: ["Existing-Hook"] })));
    for (const name of ["existing-hook", "  ", "x".repeat(65), "bad\u0007", PLANTED_PAT]) {
      expect(snapshot.can({ type: "SET_NAME", name }), name).toBe(false);
    }
    expect(snapshot.can({ type: "SET_NAME", name: "shopify-orders" })).toBe(true);
  });
});

describe("choosing the API key and pasting a PAT", () => {
  it("goes to extras for a key in the vault, and to the paste step for one that is not", async () => {
    const actor = await walkTo("choosingKey");
    actor.send({ type: "CHOOSE_KEY", apiKeyId: LEGACY_KEY.id });
    expect(stepOf(actor.getSnapshot())).toBe("pastingPat");
    expect(actor.getSnapshot().context.pastePat).toBe(true);
    actor.send({ type: "BACK" });
    actor.send({ type: "PASTE_INSTEAD", apiKeyId: VAULT_KEY.id });
    expect(stepOf(actor.getSnapshot())).toBe("pastingPat");
    expect(actor.getSnapshot().context.apiKey?.id).toBe(VAULT_KEY.id);
  });

  it("moves on from the paste step only when the host holds a pasted PAT", async () => {
    let held = false;
    const actor = await walkTo("choosingKey", machineWith({ patHeld: () => held }));
    actor.send({ type: "CHOOSE_KEY", apiKeyId: LEGACY_KEY.id });
    expect(actor.getSnapshot().can({ type: "PAT_PASTED" })).toBe(false);
    held = true;
    actor.send({ type: "PAT_PASTED" });
    expect(stepOf(actor.getSnapshot())).toBe("extras");
  });

  it("says how to create a key when there is none", async () => {
    const actor = start(machineWith({ keys: [] }));
    await settle(actor);
    actor.send({ type: "SET_NAME", name: "hook" });
    const snapshot = await settle(actor);
    expect(stepOf(snapshot)).toBe("noKeys");
    expect(describeStep("w-1", snapshot).say).toMatch(/Settings → API keys/);
  });
});

describe("extras and confirm", () => {
  it("takes valid extras and refuses bad ones", async () => {
    const actor = await walkTo("extras");
    const bad = { use_run_setup_defaults: true, trigger_payload: { ["k".repeat(65)]: 1 } };
    expect(actor.getSnapshot().can({ type: "SET_EXTRAS", extras: bad })).toBe(false);
    actor.send({
      type: "SET_EXTRAS",
      extras: { use_run_setup_defaults: true, trigger_payload: { source: "shopify" } },
    });
    expect(stepOf(actor.getSnapshot())).toBe("confirming");
    expect(describeStep("w-1", actor.getSnapshot()).say).toContain(
      'fixed input {"source":"shopify"}',
    );
  });

  it("creates once confirmed, keeping hints only", async () => {
    const actor = await walkTo("awaitingReveal");
    const context = actor.getSnapshot().context;
    expect(context.subscription).toEqual({
      id: CREATED.id,
      name: CREATED.name,
      workflow_id: CREATED.workflow_id,
      ingress_url: CREATED.ingress_url,
      signing_secret_hint: CREATED.signing_secret_hint,
      automation_pat_hint: CREATED.automation_pat_hint,
    });
    expect(describeStep("w-1", actor.getSnapshot()).card.curl_test).toContain(
      "AGENTRUNTIME_SIGNING_SECRET",
    );
    expect(JSON.stringify(actor.getPersistedSnapshot())).not.toContain(PLANTED_SECRET);
    expect(JSON.stringify(actor.getPersistedSnapshot())).not.toContain(PLANTED_PAT);
  });

  it("routes create failures: paste for vault trouble, naming for a taken name, retry otherwise", async () => {
    const cases: [string, string][] = [
      ["pat_secret_not_in_vault", "pastingPat"],
      ["pat_mismatch", "pastingPat"],
      ["name_taken", "naming"],
      ["workflow_is_draft", "choosingWorkflow"],
      ["timeout", "createFailed"],
    ];
    for (const [code, step] of cases) {
      const actor = await walkTo(
        "confirming",
        machineWith({
          create: async () => {
            throw new WizardActorError(code, `failed with ${code}`);
          },
        }),
      );
      actor.send({ type: "CONFIRM" });
      const snapshot = await settle(actor);
      expect(stepOf(snapshot), code).toBe(step);
      expect(snapshot.context.problem?.code).toBe(code);
    }
  });

  it("after a paste that create asked for, returns to the summary, not to extras", async () => {
    let held = false;
    let first = true;
    const actor = await walkTo(
      "confirming",
      machineWith({
        patHeld: () => held,
        create: async () => {
          if (first) {
            first = false;
            throw new WizardActorError("pat_secret_not_in_vault", "paste it");
          }
          return CREATED;
        },
      }),
    );
    actor.send({ type: "CONFIRM" });
    expect(stepOf(await settle(actor))).toBe("pastingPat");
    held = true;
    actor.send({ type: "PAT_PASTED" });
    expect(stepOf(actor.getSnapshot())).toBe("confirming");
    actor.send({ type: "CONFIRM" });
    expect(stepOf(await settle(actor))).toBe("awaitingReveal");
  });
});

describe("reveal and hand-over", () => {
  it("reveals once, then hands over the curl test and finishes", async () => {
    const actor = await walkTo("handingOver");
    expect(secretRevealed(actor.getSnapshot())).toBe(true);
    expect(actor.getSnapshot().can({ type: "SECRET_REVEALED" })).toBe(false);
    actor.send({ type: "FINISH" });
    expect(actor.getSnapshot().value).toBe("done");
    const view = describeStep("w-1", actor.getSnapshot());
    expect(view.status).toBe("done");
    expect(view.card.curl_test).toContain("X-Agentruntime-Signature");
  });

  it("cannot be cancelled or sent back once the webhook exists", async () => {
    const actor = await walkTo("awaitingReveal");
    for (const type of ["CANCEL", "BACK", "CONFIRM", "RETRY"] as const) {
      expect(actor.getSnapshot().can({ type }), type).toBe(false);
    }
  });
});

describe("the last step: a test request", () => {
  it("waits for the person's request and reports a rejection with its fix, then a server-signed success", async () => {
    const actor = await walkTo("handingOver");
    actor.send({ type: "WAIT_FOR_TEST" });
    let snapshot = await settle(actor);
    expect(stepOf(snapshot)).toBe("testReported");
    expect(snapshot.context.lastTest).toMatchObject({
      accepted: false,
      reason: "invalid_signature",
    });
    expect(snapshot.context.lastDeliveryId).toBe("d-1");
    expect(describeStep("w-1", snapshot).say).toMatch(
      /rejected with 401 invalid_signature\. Fix: Sign the exact bytes/,
    );
    actor.send({ type: "SEND_TEST" });
    snapshot = await settle(actor);
    expect(snapshot.context.lastTest?.run?.input).toEqual({ order_id: "1" });
    expect(describeStep("w-1", snapshot).card.test).toMatchObject({ accepted: true });
    actor.send({ type: "FINISH" });
    expect(actor.getSnapshot().value).toBe("done");
  });

  it("offers a server-signed test only when the key's PAT is in the vault, not pasted", async () => {
    expect((await walkTo("handingOver")).getSnapshot().can({ type: "SEND_TEST" })).toBe(true);
    const actor = await walkTo("choosingKey", machineWith({ patHeld: () => true }));
    actor.send({ type: "PASTE_INSTEAD", apiKeyId: VAULT_KEY.id });
    actor.send({ type: "PAT_PASTED" });
    actor.send({ type: "SKIP_EXTRAS" });
    actor.send({ type: "CONFIRM" });
    await settle(actor);
    actor.send({ type: "SECRET_REVEALED" });
    const snapshot = actor.getSnapshot();
    expect(stepOf(snapshot)).toBe("handingOver");
    expect(snapshot.context.pastePat).toBe(true);
    expect(snapshot.can({ type: "SEND_TEST" })).toBe(false);
    expect(snapshot.can({ type: "WAIT_FOR_TEST" })).toBe(true);
    expect(describeStep("w-1", snapshot).answers.map((a) => a.action)).toEqual([
      "wait_for_test",
      "finish",
    ]);
  });
});

describe("prompts", () => {
  it("has one prompt file per step, and the steps are exactly the machine's step-level states", () => {
    const root = wizardMachine.root;
    const setupPhase = root.states.setup;
    const stepLevel = [
      ...Object.keys(root.states).filter((key) => key !== "setup"),
      ...Object.keys(setupPhase?.states ?? {}),
    ];
    expect([...stepLevel].sort()).toEqual([...WIZARD_STEPS].sort());
    const files = readdirSync(new URL("../../prompts/wizard", import.meta.url)).map((f) =>
      f.replace(/\.md$/, ""),
    );
    expect(files.sort()).toEqual([...WIZARD_STEPS].sort());
  });
});

describe("back and edit", () => {
  it("goes back one step from every question after the first", async () => {
    const actor = start(machineWith(), { sender: "Shopify", workflowId: undefined });
    await settle(actor);
    expect(stepOf(actor.getSnapshot())).toBe("choosingWorkflow");
    expect(actor.getSnapshot().can({ type: "BACK" })).toBe(false);
    actor.send({ type: "PICK_WORKFLOW", workflowId: SAVED.id });
    await settle(actor);
    actor.send({ type: "SET_NAME", name: "shopify-orders" });
    await settle(actor);
    actor.send({ type: "CHOOSE_KEY", apiKeyId: VAULT_KEY.id });
    actor.send({ type: "SKIP_EXTRAS" });
    const backwards: string[] = [];
    while (actor.getSnapshot().can({ type: "BACK" })) {
      actor.send({ type: "BACK" });
      backwards.push(stepOf(await settle(actor)));
    }
    expect(backwards).toEqual(["extras", "choosingKey", "naming", "choosingWorkflow"]);
  });

  it("changes one answer at confirm and returns to confirm, keeping the others", async () => {
    const actor = await walkTo("confirming");
    actor.send({ type: "EDIT", answer: "name" });
    expect(stepOf(actor.getSnapshot())).toBe("naming");
    actor.send({ type: "SET_NAME", name: "renamed" });
    expect(stepOf(actor.getSnapshot())).toBe("confirming");
    actor.send({ type: "EDIT", answer: "extras" });
    actor.send({
      type: "SET_EXTRAS",
      extras: { use_run_setup_defaults: true, trigger_payload: { a: 1 } },
    });
    expect(stepOf(actor.getSnapshot())).toBe("confirming");
    actor.send({ type: "EDIT", answer: "api_key" });
    expect(stepOf(actor.getSnapshot())).toBe("choosingKey");
    actor.send({ type: "BACK" });
    expect(stepOf(actor.getSnapshot())).toBe("confirming");
    const context = actor.getSnapshot().context;
    expect(context).toMatchObject({
      name: "renamed",
      apiKey: VAULT_KEY,
      extras: { use_run_setup_defaults: true, trigger_payload: { a: 1 } },
    });
    expect(actor.getSnapshot().can({ type: "EDIT", answer: "workflow" })).toBe(false);
    expect(actor.getSnapshot().can({ type: "EDIT", answer: "nonsense" })).toBe(false);
  });

  it("sends a key changed at confirm to its paste when it is not in the vault, then back to confirm", async () => {
    let held = false;
    const actor = await walkTo("confirming", machineWith({ patHeld: () => held }));
    actor.send({ type: "EDIT", answer: "api_key" });
    actor.send({ type: "CHOOSE_KEY", apiKeyId: LEGACY_KEY.id });
    expect(stepOf(actor.getSnapshot())).toBe("pastingPat");
    held = true;
    actor.send({ type: "PAT_PASTED" });
    expect(stepOf(actor.getSnapshot())).toBe("confirming");
    expect(actor.getSnapshot().context.pastePat).toBe(true);
  });

  it("lists at confirm exactly the answers it takes, with edit's options", async () => {
    const view = describeStep("w-1", (await walkTo("confirming")).getSnapshot());
    expect(view.answers.map((a) => a.action)).toEqual(["confirm", "edit", "back", "cancel"]);
    expect(view.answers[1]?.options?.map((o) => o.value)).toEqual(["name", "api_key", "extras"]);
  });

  it("never lists finish before the person has opened the secret page", async () => {
    const snapshot = (await walkTo("awaitingReveal")).getSnapshot();
    const actions = describeStep("w-1", snapshot).answers.map((a) => a.action);
    expect(snapshot.can({ type: "FINISH" })).toBe(false);
    expect(actions).not.toContain("finish");
    expect(actions).toEqual(["continue"]);
  });
});
