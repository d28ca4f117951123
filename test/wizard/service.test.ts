import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/client.js";
import type { SetupStore } from "../../src/setup-store/setup-store.js";
import { openSqliteSetupStore } from "../../src/setup-store/sqlite.js";
import { provideWizard } from "../../src/wizard/actors.js";
import { stepOf } from "../../src/wizard/machine.js";
import { WizardService } from "../../src/wizard/service.js";
import { MemoryVault } from "../../src/wizard/vaults.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
let store: SetupStore;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  store = openSqliteSetupStore({ path: join(tempDir(), "setups.db") });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await sandbox?.stop();
});

/** A service as one process (or one hosted request) runs it, over the setups of `owner`. */
function serviceOf(owner: string): WizardService {
  return new WizardService({
    machine: provideWizard({
      client: createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor }),
      pats: new MemoryVault(60_000),
      secrets: new MemoryVault(60_000),
      reveal: async () => ({ kind: "local" }),
    }),
    setups: store.setupsOf(owner),
  });
}

describe("the wizard service over the setup store", () => {
  it("has every step stored when it answers, each write over the version before it", async () => {
    const service = serviceOf("owner-a");
    const started = await service.start({ workflowId: sandbox.weekly.id, allowPick: false });
    expect(stepOf(started.snapshot)).toBe("naming");
    const stored = await store.setupsOf("owner-a").load(started.id);
    expect(stored).toMatchObject({ state: "found", snapshot: { value: started.snapshot.value } });
    const version = stored.state === "found" ? stored.version : 0;
    expect(version).toBeGreaterThanOrEqual(2);
    await service.send(started.id, { type: "SET_NAME", name: "service-stored" });
    expect(await store.setupsOf("owner-a").load(started.id)).toMatchObject({
      snapshot: { context: { name: "service-stored" } },
    });
    expect(await store.setupsOf("owner-b").load(started.id)).toEqual({ state: "missing" });
    expect(await service.flush()).toBe("kept");
    service.stopAll();
  });

  it("restores a setup another process stored, and stops writing one another process moved on", async () => {
    const first = serviceOf("owner-a");
    const { id } = await first.start({ workflowId: sandbox.weekly.id, allowPick: false });
    const second = serviceOf("owner-a");
    const moved = await second.send(id, { type: "SET_NAME", name: "moved-elsewhere" });
    expect(moved.kind === "accepted" && stepOf(moved.snapshot)).toBe("choosingKey");
    // The first process still runs its own copy at naming: its next step must not overwrite.
    await first.send(id, { type: "SET_NAME", name: "stale-answer" });
    expect(await first.flush()).toBe("overtaken");
    expect(await store.setupsOf("owner-a").load(id)).toMatchObject({
      snapshot: { context: { name: "moved-elsewhere" } },
    });
    expect(await second.flush()).toBe("kept");
    expect(await serviceOf("owner-b").get(id)).toEqual({ kind: "missing" });
    first.stopAll();
    second.stopAll();
  });
});
