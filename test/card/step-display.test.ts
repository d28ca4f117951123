import { describe, expect, it } from "vitest";
import {
  CARD_STAGES,
  errorText,
  headingOf,
  isStepView,
  parsePayloadLines,
  payloadLines,
  personLabel,
  progressOf,
} from "../../src/card/step-display.js";

describe("what the card shows for a step", () => {
  it("reads fixed input lines, keeping numbers, booleans and null typed", () => {
    expect(parsePayloadLines("source=shopify\n\ncount = 3\nlive=true\nnote=null\nempty=")).toEqual({
      payload: { source: "shopify", count: 3, live: true, note: null, empty: "" },
    });
    expect(parsePayloadLines("")).toEqual({ payload: {} });
  });

  it("says which line is wrong for a line without a key, or a key over 64 characters", () => {
    expect(parsePayloadLines("a=1\njust text")).toEqual({
      error: "Line 2 needs the form key=value.",
    });
    expect(parsePayloadLines("=value")).toEqual({ error: "Line 1 needs the form key=value." });
    expect(parsePayloadLines(`${"k".repeat(65)}=1`)).toEqual({
      error: "Line 1: the key is over 64 characters.",
    });
  });

  it("writes the fixed input back as the lines it reads, unmarked, for an edit to start from", () => {
    const payload = { source: "shopify", count: 2, live: true, note: null };
    const marked = JSON.stringify({ ...payload, source: "<untrusted>shopify</untrusted>" });
    expect(payloadLines(marked)).toBe("source=shopify\ncount=2\nlive=true\nnote=null");
    expect(parsePayloadLines(payloadLines(marked))).toEqual({ payload });
    for (const none of [null, undefined, "none", "[1]", "{"]) expect(payloadLines(none)).toBe("");
  });

  it("places every known step on the progress line, and an unknown one at the start", () => {
    expect(progressOf("naming").at).toBe(1);
    expect(progressOf("handingOver").at).toBe(CARD_STAGES.length - 1);
    expect(progressOf("done").at).toBe(CARD_STAGES.length);
    expect(progressOf("aStepAddedLater").at).toBe(0);
  });

  it("heads every step with the person's line, never the model's instruction", () => {
    const person = { line: "Name this inbound webhook", problem: null };
    expect(headingOf({ person, status: "active" })).toBe("Name this inbound webhook");
    expect(headingOf({ person, status: "cancelled" })).toBe("Setup cancelled");
  });

  it("labels model-worded answers for people and keeps the wizard's label for new ones", () => {
    expect(personLabel({ action: "continue", label: "x" }, "pastingPat")).toBe(
      "I have pasted the PAT",
    );
    expect(personLabel({ action: "finish", label: "x" }, "awaitingReveal")).toBe(
      "I have saved the secret",
    );
    expect(personLabel({ action: "pick_workflow", label: "The workflow" }, "x")).toBe(
      "The workflow",
    );
  });

  it("tells a step view from anything else, and shows a refusal's own words", () => {
    const person = { line: "", problem: null };
    expect(isStepView({ wizard_id: "w", step: "s", say: "", person, answers: [], card: {} })).toBe(
      true,
    );
    expect(isStepView({ wizard_id: "w", step: "s", say: "", answers: [], card: {} })).toBe(false);
    expect(isStepView({ wizard_id: "w", step: "s", say: "", answers: [] })).toBe(false);
    expect(isStepView(null)).toBe(false);
    const refused = (text: string) => errorText({ content: [{ type: "text", text }] });
    expect(
      refused(
        "answer_not_accepted: finish is not an answer at step naming. The wizard stays at step naming. Legal answers: set_name.",
      ),
    ).toBe("The setup did not take that answer at this step.");
    expect(refused("wizard_expired: This wizard expired; call start_inbound_webhook_wizard.")).toBe(
      "This setup ended after two idle hours: start a new one.",
    );
    expect(refused("upstream_failed: call list_api_keys first.")).toBe(
      "The setup could not do that right now.",
    );
    expect(refused("The host could not reach the setup.")).toBe(
      "The host could not reach the setup.",
    );
    expect(errorText({ content: [] })).toBe("The setup refused that answer.");
  });
});
