import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { IngressAppender } from "../../src/sandbox/ingress-appender.js";
import {
  decodeFrames,
  encodeFrame,
  ingressLogDir,
  listSegments,
  segmentPath,
} from "../../src/sandbox/ingress-log.js";
import { type IngressRecord, timeOrderedId } from "../../src/sandbox/ingress-rows.js";
import { loggedIngressWriter } from "../../src/sandbox/ingress-writer.js";
import { SecretBox } from "../../src/sandbox/secrets.js";
import { SandboxStore } from "../../src/sandbox/store.js";
import { tempDir } from "../helpers/sandbox.js";

const PROJECT = "0190aaaa-aaaa-7aaa-8aaa-aaaaaaaaaaaa";

function accepted(payload: string): IngressRecord {
  const runId = timeOrderedId();
  return {
    run: {
      id: runId,
      project_id: PROJECT,
      workflow_id: "w",
      subscription_id: "s",
      status: "succeeded",
      error: null,
      created_at: "2026-11-29T00:00:00.000Z",
      payload,
      overlay: null,
    },
    delivery: {
      id: timeOrderedId(),
      subscription_id: "s",
      received_at: "2026-11-29T00:00:00.000Z",
      status: 202,
      outcome: "accepted",
      reason: null,
      run_id: runId,
      body_sha256: null,
      body_bytes: Buffer.byteLength(payload),
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A database with the project the records name, closed again: as a crashed sandbox left it. */
function crashedSandbox(): { path: string; logDir: string } {
  const dir = tempDir("arw-log-");
  dirs.push(dir);
  const path = join(dir, "sandbox.db");
  const store = new SandboxStore({
    path,
    box: new SecretBox(randomBytes(32)),
    ingressBase: () => "http://127.0.0.1:1",
  });
  store.db
    .prepare("INSERT INTO projects (id, name, created_at) VALUES (?, 'p', 'now')")
    .run(PROJECT);
  store.close();
  return { path, logDir: ingressLogDir(path) };
}

/** Appends records to segment 1 as the request thread does, with no copier running. */
async function appendOnly(logDir: string, records: IngressRecord[]): Promise<void> {
  const appender = new IngressAppender({
    dir: logDir,
    segment: 1,
    segmentBytes: 1 << 20,
    onDurable: () => {},
  });
  await Promise.all(records.map((record) => appender.append(record)));
  await appender.close();
}

function storedPayloads(path: string): string[] {
  const store = new SandboxStore({
    path,
    box: new SecretBox(randomBytes(32)),
    ingressBase: () => "http://127.0.0.1:1",
  });
  try {
    const rows = store.db.prepare("SELECT payload FROM runs ORDER BY seq").all() as {
      payload: string;
    }[];
    return rows.map((row) => row.payload);
  } finally {
    store.close();
  }
}

describe("ingress log frames", () => {
  it("give back every record as it was appended, whatever the body's characters", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme" }), { maxLength: 8 }), (payloads) => {
        const records = payloads.map(accepted);
        const bytes = Buffer.concat(records.flatMap(encodeFrame));
        expect(decodeFrames(bytes)).toEqual({ records, used: bytes.length, torn: false });
        const zeros = Buffer.concat([bytes, Buffer.alloc(64)]);
        expect(decodeFrames(zeros)).toEqual({ records, used: bytes.length, torn: false });
      }),
    );
  });

  it("stop at a frame cut short or altered, keeping the whole ones before it", () => {
    const records = ["{}", '{"a":1}', '{"b":2}'].map(accepted);
    const frames = records.map((record) => Buffer.concat(encodeFrame(record)));
    const whole = Buffer.concat(frames.slice(0, 2));
    const cut = Buffer.concat([whole, (frames[2] as Buffer).subarray(0, 20)]);
    expect(decodeFrames(cut)).toEqual({
      records: records.slice(0, 2),
      used: whole.length,
      torn: true,
    });
    const altered = Buffer.concat(frames);
    altered.writeUInt8(altered.readUInt8(altered.length - 2) ^ 1, altered.length - 2);
    expect(decodeFrames(altered)).toEqual({
      records: records.slice(0, 2),
      used: whole.length,
      torn: true,
    });
  });
});

describe("a sandbox started after a crash", () => {
  it("copies what the log holds into the database before anything new is appended", async () => {
    const { path, logDir } = crashedSandbox();
    const payloads = Array.from({ length: 25 }, (_, i) => JSON.stringify({ order_id: `c-${i}` }));
    await appendOnly(logDir, payloads.map(accepted));

    const writer = loggedIngressWriter(path);
    await writer.close();
    expect(writer.replayed).toMatchObject({ records: 25, segments: 1, tornFrames: 0 });
    expect(storedPayloads(path)).toEqual(payloads);
    expect(existsSync(segmentPath(logDir, 1))).toBe(false);
  });

  it("skips a torn last frame, which was never answered, and keeps the rest", async () => {
    const { path, logDir } = crashedSandbox();
    await appendOnly(logDir, [accepted('{"kept":1}'), accepted('{"kept":2}')]);
    const torn = Buffer.concat(encodeFrame(accepted('{"torn":3}')));
    // Where the whole frames end, the zeros of the prepared segment begin; the torn one goes there.
    const file = segmentPath(logDir, 1);
    const { used } = decodeFrames(readFileSync(file));
    const fd = openSync(file, "r+");
    writeSync(fd, torn, 0, torn.length - 5, used);
    closeSync(fd);

    const writer = loggedIngressWriter(path);
    await writer.close();
    expect(writer.replayed).toMatchObject({ records: 2, segments: 1, tornFrames: 1 });
    expect(storedPayloads(path)).toEqual(['{"kept":1}', '{"kept":2}']);
  });

  it("does not copy a record twice when it crashed again during the copy", async () => {
    const { path, logDir } = crashedSandbox();
    await appendOnly(logDir, [accepted('{"once":1}')]);
    const segment = readFileSync(segmentPath(logDir, 1));
    // The first start copies it and deletes the segment; put the same bytes back as if the
    // deletion had not happened, and start again.
    const first = loggedIngressWriter(path);
    await first.close();
    writeFileSync(segmentPath(logDir, 1), segment);
    const second = loggedIngressWriter(path);
    await second.close();
    expect(second.replayed.records).toBe(0);
    expect(storedPayloads(path)).toEqual(['{"once":1}']);
    expect(listSegments(logDir).includes(1)).toBe(false);
  });
});
