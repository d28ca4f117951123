import { describe, expect, it } from "vitest";
import { inputFieldsOf, sampleBody, senderSample } from "../../src/contract/workflow-input.js";
import { applyMergePatch } from "../../src/sandbox/merge-patch.js";
import { buildTriggerPayload, executeRun } from "../../src/sandbox/runs.js";
import { hintOf, SecretBox } from "../../src/sandbox/secrets.js";

describe("applyMergePatch (RFC 7396)", () => {
  // The examples of RFC 7396, appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)("patches %j with %j", (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it("does not change its inputs", () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe("run input", () => {
  const workflow = {
    id: "00000000-0000-4000-8000-000000000001",
    name: "w",
    status: "saved" as const,
    run_setup_defaults: { a: "default", b: "default", c: "default" },
    steps: [
      {
        name: "one",
        template: "a={{input.a}} n={{ input.n.deep }} x={{input.x}}",
        required_input: [],
      },
      { name: "two", template: "list={{input.list}}", required_input: ["must"] },
    ],
  };

  it("merges defaults < body < extras, and leaves defaults out unless opted in", () => {
    expect(
      buildTriggerPayload(
        workflow,
        { use_run_setup_defaults: true, trigger_payload: { c: "extras" } },
        {
          b: "body",
          c: "body",
        },
      ),
    ).toEqual({ a: "default", b: "body", c: "extras" });
    expect(
      buildTriggerPayload(
        workflow,
        { use_run_setup_defaults: false, trigger_payload: {} },
        { b: "body" },
      ),
    ).toEqual({ b: "body" });
  });

  it("lists the fields the steps read", () => {
    expect(inputFieldsOf(workflow)).toEqual(["a", "n.deep", "x", "list", "must"]);
  });

  it("leaves out of a sender's sample what extras fix, and saved defaults only when merged", () => {
    const fields = ["order_id", "warehouse", "source"];
    expect(
      senderSample(fields, ["warehouse"], {
        use_run_setup_defaults: true,
        trigger_payload: { source: "x" },
      }),
    ).toEqual({
      order_id: "example-order-id",
    });
    expect(
      senderSample(fields, ["warehouse"], { use_run_setup_defaults: false, trigger_payload: {} }),
    ).toEqual({
      order_id: "example-order-id",
      warehouse: "example-warehouse",
      source: "example-source",
    });
  });

  it("builds a sample body from those fields, leaving out what the subscription fixes", () => {
    expect(
      sampleBody(["order_id", "customer.email", "customer.name", "source"], ["source"]),
    ).toEqual({
      order_id: "example-order-id",
      customer: { email: "example-email", name: "example-name" },
    });
  });

  it("renders values, nested paths and non-strings, and fails on missing required input", () => {
    const start = {
      id: "00000000-0000-4000-8000-000000000002",
      subscription_id: "00000000-0000-4000-8000-000000000003",
      extras: { use_run_setup_defaults: false, trigger_payload: {} },
      now: "2026-11-27T00:00:00.000Z",
    };
    const ok = executeRun(workflow, {
      ...start,
      webhook_payload: { a: 1, n: { deep: true }, list: [1, 2], must: "yes" },
    });
    expect(ok.status).toBe("succeeded");
    expect(ok.steps.map((s) => s.output)).toEqual(["a=1 n=true x=", "list=[1,2]"]);
    expect(ok.steps[0]?.received).toEqual({ a: 1, "n.deep": true, x: null });
    const failed = executeRun(workflow, { ...start, webhook_payload: { a: 1, must: "" } });
    expect(failed.status).toBe("failed");
    expect(failed.steps).toHaveLength(1);
    expect(failed.error).toBe('Step "two" needs input.must, which the input did not carry.');
  });

  it("does not read inherited properties through a path", () => {
    const run = executeRun(
      {
        ...workflow,
        steps: [
          { name: "p", template: "{{input.constructor}}|{{input.__proto__}}", required_input: [] },
        ],
      },
      {
        id: "00000000-0000-4000-8000-000000000002",
        subscription_id: "00000000-0000-4000-8000-000000000003",
        extras: { use_run_setup_defaults: false, trigger_payload: {} },
        now: "2026-11-27T00:00:00.000Z",
        webhook_payload: {},
      },
    );
    expect(run.steps[0]?.output).toBe("|");
  });
});

describe("secrets at rest", () => {
  it("seals and opens, and a tampered or foreign seal fails", () => {
    const box = new SecretBox(Buffer.alloc(32, 1));
    const sealed = box.seal("whsec_example");
    expect(sealed).not.toContain("whsec_example");
    expect(box.open(sealed)).toBe("whsec_example");
    expect(box.seal("same")).not.toBe(box.seal("same"));
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === "A" ? "B" : "A"}${sealed.at(-1)}`;
    expect(() => box.open(flipped)).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed)).toThrow();
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32 bytes/);
  });

  it("hints show the last four characters only", () => {
    expect(hintOf("pat_abcdefgh1234", "pat_…")).toBe("pat_…1234");
    expect(hintOf("whsec_zzzz9f2c")).toBe("…9f2c");
  });
});
