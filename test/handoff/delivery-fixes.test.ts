import { describe, expect, it } from "vitest";
import { fixFor, REJECTION_FIXES } from "../../src/handoff/delivery-fixes.js";
import { expectPersonVoice } from "../helpers/person-voice.js";

describe("the fix for each ingress rejection", () => {
  // The terminal's "Fix:" line and the card's test box show these to a person.
  it.each(Object.entries(REJECTION_FIXES))("for %s reads for a person", (_code, fix) => {
    expectPersonVoice(fix);
  });

  it("falls back to the answer's own message for a code it does not know", () => {
    expect(fixFor("something_new", "person")).toBe(
      "Read the error message in the answer the sender got.",
    );
    expect(fixFor(null, "person")).toBeNull();
  });
});

describe("the fix a model reads", () => {
  it("also names the tool to call next, where there is one", () => {
    expect(fixFor("invalid_signature", "model")).toContain("diagnose_inbound_webhook_signature");
    expect(fixFor("subscription_paused", "model")).toContain("update_inbound_webhook");
    expect(fixFor("invalid_json", "model")).toBe(fixFor("invalid_json", "person"));
  });
});
