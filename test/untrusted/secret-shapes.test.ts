import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scrubSecrets } from "../../src/autopilot/autopilot.js";
import type { Subscription, Workflow } from "../../src/contract/schemas.js";
import { REJECTION_FIXES } from "../../src/handoff/delivery-fixes.js";
import { buildSenderGuide } from "../../src/handoff/sender-guide.js";
import { packageRoot } from "../../src/package-root.js";
import { buildCurlTemplate } from "../../src/signing/curl.js";
import { cleanJson, markJson, secretPaths } from "../../src/untrusted/mark.js";
import {
  isPatShaped,
  looksLikeSecret,
  REDACTED,
  redactSecrets,
  SECRET_SHAPES,
} from "../../src/untrusted/secret-shapes.js";
import { everySample, SECRET_SAMPLES } from "./samples.js";

describe("the table of secret shapes", () => {
  it("has a sample for every shape, and a shape for every sample", () => {
    expect(SECRET_SHAPES.map((shape) => shape.name).sort()).toEqual(
      Object.keys(SECRET_SAMPLES).sort(),
    );
  });

  for (const shape of SECRET_SHAPES) {
    it(`finds and removes: ${shape.name}`, () => {
      const sample = (SECRET_SAMPLES[shape.name] as () => string)();
      const own = new RegExp(shape.source);
      expect(own.test(sample), `${shape.name} does not match its own sample`).toBe(true);
      const pieces = sample.match(/[A-Za-z0-9_+/=.-]{16,}/g) ?? [];
      expect(pieces.length).toBeGreaterThan(0);
      for (const text of [sample, `before ${sample} after`, `"${sample}",`, `x\n${sample}\ny`]) {
        expect(looksLikeSecret(text)).toBe(true);
        const redacted = redactSecrets(text);
        expect(redacted).toContain(REDACTED);
        for (const piece of pieces) expect(redacted).not.toContain(piece);
        expect(looksLikeSecret(redacted)).toBe(false);
        expect(scrubSecrets(text)).toEqual({ text: redacted, removed: true });
        expect(secretPaths({ note: text })).toEqual(["note"]);
      }
    });
  }

  it("a refusal names a secret-shaped key redacted, and other typed keys marked", () => {
    const lower = `pat_${"abcdefghijklmnopqrstuvwxyz".repeat(2)}`;
    expect(secretPaths({ payload: { [lower]: "x", note: lower, "a b": lower } })).toEqual([
      `payload.<untrusted>${REDACTED}</untrusted>`,
      "payload.note",
      "payload.<untrusted>a b</untrusted>",
    ]);
    expect(secretPaths({ [lower]: 1 })).toEqual([`<untrusted>${REDACTED}</untrusted>`]);
  });

  it("removes a PEM key cut short, to the end of the text", () => {
    const sample = (SECRET_SAMPLES["PEM private key"] as () => string)();
    const cut = sample.slice(0, sample.indexOf("-----END"));
    expect(redactSecrets(`key: ${cut}`)).toBe(`key: ${REDACTED}`);
  });

  it("keeps a label and removes only its value", () => {
    const bearer = (SECRET_SAMPLES["Bearer token"] as () => string)();
    expect(redactSecrets(`Authorization: ${bearer}`)).toBe(`Authorization: ${REDACTED}`);
    expect(redactSecrets(bearer)).toBe(`Bearer ${REDACTED}`);
    expect(redactSecrets(`bearer ${bearer.slice("Bearer ".length)}`)).toBe(`bearer ${REDACTED}`);
  });

  it("removes the value of an Authorization key in JSON, whatever its shape", () => {
    const body = { Authorization: "short1", "proxy-authorization": "x y", other: "short1" };
    expect(cleanJson(body)).toEqual({
      Authorization: REDACTED,
      "proxy-authorization": REDACTED,
      other: "short1",
    });
    expect(JSON.stringify(markJson(body))).not.toContain('short1</untrusted>,"<untrusted>proxy');
    expect(JSON.stringify(markJson(body)).match(/short1/g)).toHaveLength(1);
  });

  it("leaves this project's own words alone: codes, fixes, prompts, the guide and the curl test", () => {
    const words = [
      "pat_secret_not_in_vault",
      "pat_mismatch",
      "automation_pat_id",
      "whsec_",
      "usr_not_found",
      "sk-test",
      "Bearer pat_…",
      "Authorization: Bearer <automation PAT>",
      "task-management-for-everyone-here",
      "AKIA",
      ...Object.values(REJECTION_FIXES),
    ];
    for (const word of words) expect(redactSecrets(word), word).toBe(word);
    const prompts = join(packageRoot(), "prompts");
    for (const folder of [prompts, join(prompts, "wizard"), join(prompts, "autopilot")]) {
      for (const file of readdirSync(folder).filter((name) => name.endsWith(".md"))) {
        const text = readFileSync(join(folder, file), "utf8");
        expect(redactSecrets(text), file).toBe(text);
      }
    }
    const curl = buildCurlTemplate({
      ingressUrl: "http://127.0.0.1:8787/ingress/abc",
      body: '{"order_id":"1"}',
    });
    expect(redactSecrets(curl)).toBe(curl);
    for (const reader of ["model", "person"] as const) {
      const guide = buildSenderGuide(SUBSCRIPTION, WORKFLOW, reader);
      expect(redactSecrets(guide)).toBe(guide);
    }
  });

  it("a pasted PAT is still a PAT: the paste page checks the shape, not the redaction", () => {
    for (const { shape, text } of everySample()) {
      expect(isPatShaped(text), shape).toBe(shape === "AgentRuntime PAT");
    }
  });
});

const SUBSCRIPTION: Subscription = {
  id: "0190f3a2-0000-7000-8000-000000000001",
  workflow_id: "0190f3a2-0000-7000-8000-000000000002",
  name: "orders",
  ingress_path: "/ingress/abc",
  ingress_url: "http://127.0.0.1:8787/ingress/abc",
  automation_pat_id: "0190f3a2-0000-7000-8000-000000000003",
  automation_pat_hint: "pat_…abcd",
  signing_secret_hint: "whsec_…wxyz",
  extras: { use_run_setup_defaults: false, trigger_payload: {} },
  enabled: true,
  previous_secret_expires_at: null,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
};

const WORKFLOW: Workflow = {
  id: SUBSCRIPTION.workflow_id,
  name: "Fulfil order",
  status: "saved",
  run_setup_defaults: {},
  steps: [{ name: "ship", template: "Ship {{input.order_id}}", required_input: [] }],
} as unknown as Workflow;
