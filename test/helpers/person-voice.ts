import { expect } from "vitest";
import { WIZARD_STEPS } from "../../src/wizard/machine.js";

/** Words only a model's instruction or the code uses: never on what a person reads. */
const MODEL_WORDS = [
  /\bthe person\b/i,
  /\banswer (continue|retry|edit|finish|back|cancel|wait_for_test|send_test)\b/,
  /\b(reveal_url|paste_url|wizard_id|use_run_setup_defaults|trigger_payload)\b/,
  /\b\w+_inbound_webhook\w*/,
  /<\/?untrusted>|&lt;\/?untrusted&gt;/,
  /\bRules:/,
];

/** Fails when text a person reads holds a model instruction, a mark, or a step's internal name. */
export function expectPersonVoice(text: string): void {
  for (const words of MODEL_WORDS) expect(text, `${words} in: ${text}`).not.toMatch(words);
  const steps = WIZARD_STEPS.filter((step) => /[A-Z]/.test(step));
  for (const step of steps) expect(text, `step name ${step} in: ${text}`).not.toContain(step);
}
