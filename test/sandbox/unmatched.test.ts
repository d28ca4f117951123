import { describe, expect, it } from "vitest";
import { UnmatchedIngressTally } from "../../src/sandbox/unmatched.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the tally of ingress that matches no webhook", () => {
  it("keeps the counts when storage refuses them and writes them with the next try", async () => {
    const written: number[] = [];
    let refuse = true;
    const tally = new UnmatchedIngressTally((counts) => {
      if (refuse) throw new Error("database or disk is full");
      written.push(...counts.map((count) => count.attempts));
    }, 5);
    tally.add("2026-01-01T00:00:00Z", 404, "not_found");
    tally.add("2026-01-01T00:00:01Z", 404, "not_found");
    tally.flush();
    refuse = false;
    for (let tries = 0; tries < 100 && written.length === 0; tries++) await pause(5);
    expect(written).toEqual([2]);
  });

  it("tries no more once closed, even when the last write was refused", async () => {
    let tries = 0;
    const tally = new UnmatchedIngressTally(() => {
      tries += 1;
      throw new Error("the database connection is not open");
    }, 5);
    tally.add("2026-01-01T00:00:00Z", 404, "not_found");
    tally.close();
    await pause(50);
    expect(tries).toBe(1);
  });
});
