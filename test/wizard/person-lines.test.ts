import { describe, expect, it } from "vitest";
import { createActor, waitFor } from "xstate";
import { modelText } from "../../src/mcp/wizard-tools.js";
import { markUntrusted, unmarkForPerson } from "../../src/untrusted/mark.js";
import { isBusy, stepOf, WIZARD_STEPS } from "../../src/wizard/machine.js";
import { PERSON_LINES } from "../../src/wizard/person-lines.js";
import { describeStep, type Marks, promptFor } from "../../src/wizard/steps.js";
import { expectPersonVoice } from "../helpers/person-voice.js";
import { LEGACY_KEY, machineWith, SAVED } from "./fixtures.js";

const MARKS: Marks = { line: (text) => markUntrusted(text), json: (value) => value };

describe("two voices per step", () => {
  it("gives every step a person line apart from the model's instruction", () => {
    for (const step of WIZARD_STEPS) {
      expectPersonVoice(PERSON_LINES[step]);
      expect(PERSON_LINES[step]).not.toBe(promptFor(step));
    }
  });

  it("words a step for the person, names marked for a model and plain for the terminal", async () => {
    const actor = createActor(machineWith(), {
      input: { wizardId: "w-1", workflowId: SAVED.id, allowPick: true },
    });
    actor.start();
    await waitFor(actor, (s) => !isBusy(s));
    actor.send({ type: "SET_NAME", name: "shop-orders" });
    const choosing = await waitFor(actor, (s) => !isBusy(s));
    // A key's detail is read on a button too: in words that suit a person.
    const details = describeStep("w-1", choosing)
      .answers.flatMap((answer) => answer.options ?? [])
      .map((option) => option.detail ?? "");
    expect(details).toContain(`${LEGACY_KEY.hint}, not in Vault: its PAT is pasted once`);
    expectPersonVoice(details.join("\n"));
    actor.send({ type: "PASTE_INSTEAD", apiKeyId: LEGACY_KEY.id });
    const snapshot = await waitFor(actor, (s) => !isBusy(s));
    expect(stepOf(snapshot)).toBe("pastingPat");

    const plain = describeStep("w-1", snapshot);
    expect(plain.say).toMatch(/Ask the person/);
    expect(plain.person.line).toBe(
      `Paste the PAT of "${LEGACY_KEY.name}" (${LEGACY_KEY.hint}) on the private page, never in the chat.`,
    );
    expect(plain.person.problem).toBeNull();
    expectPersonVoice(plain.person.line);

    const marked = describeStep("w-1", snapshot, {}, MARKS);
    expect(marked.person.line).toContain(markUntrusted(LEGACY_KEY.name));
    expect(unmarkForPerson(marked.person.line)).toBe(plain.person.line);
    // The model reads `say`; the person line stays in the structured result for the host's UI.
    expect(modelText(marked)).not.toContain("private page, never in the chat");
    expect(modelText(marked)).toContain("Ask the person");
  });
});
