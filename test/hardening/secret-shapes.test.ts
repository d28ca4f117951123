import { describe, expect, it } from "vitest";
import { scrubSecrets } from "../../src/autopilot/autopilot.js";
import { newToken } from "../../src/sandbox/secrets.js";
import { secretPaths } from "../../src/untrusted/mark.js";
import {
  isPatShaped,
  looksLikeSecret,
  REDACTED,
  redactSecrets,
} from "../../src/untrusted/secret-shapes.js";

describe("one definition of the secret shapes", () => {
  const minted = [newToken("pat_"), newToken("whsec_")];

  it("finds every minted PAT and signing secret, alone or inside text", () => {
    for (const token of minted) {
      expect(looksLikeSecret(token)).toBe(true);
      expect(redactSecrets(`before ${token} after`)).toBe(`before ${REDACTED} after`);
    }
  });

  it("leaves the project's own error codes and field names alone", () => {
    for (const word of ["pat_secret_not_in_vault", "pat_mismatch", "automation_pat_id", "whsec_"]) {
      expect(looksLikeSecret(word)).toBe(false);
      expect(redactSecrets(word)).toBe(word);
    }
  });

  it("chat scrubbing, argument refusal and PAT pastes agree on the same strings", () => {
    const samples = [
      ...minted,
      "pat_abcdefghijklmnop",
      "pat_short",
      "pat_12345678",
      "whsec_abcdefghijklmnop",
    ];
    for (const sample of samples) {
      const refused = secretPaths({ value: sample }).length > 0;
      const scrubbed = scrubSecrets(sample).removed;
      expect(scrubbed).toBe(refused);
      expect(looksLikeSecret(sample)).toBe(refused);
      if (sample.startsWith("pat_")) expect(isPatShaped(sample)).toBe(refused);
    }
  });

  it("a PAT paste is one token and nothing more", () => {
    const pat = newToken("pat_");
    expect(isPatShaped(pat)).toBe(true);
    expect(isPatShaped(` ${pat}`)).toBe(false);
    expect(isPatShaped(`pat_${"a".repeat(257)}`)).toBe(false);
    expect(isPatShaped(newToken("whsec_"))).toBe(false);
  });
});
