import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  parseSignatureHeader,
  SIGNATURE_HEADER,
  signBody,
  verifySignature,
} from "../../src/signing/signature.js";

// The seed's sign_body, verbatim, driven with the body on stdin and the secret as argv[1].
const PYTHON_SIGN = `
import hmac
import hashlib
import sys

def sign_body(payload_body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), payload_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"

sys.stdout.write(sign_body(sys.stdin.buffer.read(), sys.argv[1]))
`;

function pythonSign(body: string, secret: string): string {
  return execFileSync("python3", ["-c", PYTHON_SIGN, secret], {
    input: Buffer.from(body, "utf8"),
    env: { ...process.env, PYTHONUTF8: "1" },
  }).toString("utf8");
}

const SECRET = "It's a Secret to Everybody";
const BODY = JSON.stringify({ event: "order.created", id: 42, note: "naïve café ✓" });
const GOOD = signBody(BODY, SECRET);
const HEX = GOOD.slice("sha256=".length);

describe("signBody", () => {
  it("matches GitHub's published webhook vector", () => {
    expect(signBody("Hello, World!", SECRET)).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("matches RFC 4231 test case 2", () => {
    expect(signBody("what do ya want for nothing?", "Jefe")).toBe(
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("signs a string as its UTF-8 bytes", () => {
    expect(signBody(Buffer.from(BODY, "utf8"), SECRET)).toBe(GOOD);
    expect(signBody(new TextEncoder().encode(BODY), SECRET)).toBe(GOOD);
  });

  it.each([
    ["ASCII body and secret", '{"hello":"world"}', "s3cr3t"],
    ["non-ASCII body", '{"greeting":"héllo wörld 👋 日本語"}', "s3cr3t"],
    ["non-ASCII secret", '{"hello":"world"}', "clé-secrète-🔑"],
    ["both non-ASCII, with a newline", '{"emoji":"🚀"}\n', "ключ"],
  ])("agrees with the seed's Python sign_body (%s)", (_name, body, secret) => {
    const expected = pythonSign(body, secret);
    expect(expected).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signBody(body, secret)).toBe(expected);
    expect(verifySignature(body, expected, secret)).toEqual({ ok: true, matchedIndex: 0 });
  });
});

describe("parseSignatureHeader", () => {
  it("uses the lower-case header name node exposes", () => {
    expect(SIGNATURE_HEADER).toBe("x-agentruntime-signature");
  });

  it("decodes a well-formed value into 32 bytes", () => {
    const parsed = parseSignatureHeader(GOOD);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.digest.toString("hex")).toBe(HEX);
    expect(parseSignatureHeader([GOOD]).ok).toBe(true);
  });

  it.each([
    ["undefined", undefined],
    ["empty string", ""],
    ["empty array", []],
    ["array with an empty string", [""]],
  ])("reports missing for %s", (_name, value) => {
    expect(parseSignatureHeader(value)).toEqual({ ok: false, problem: "missing" });
  });

  it.each([
    ["two distinct entries", [GOOD, GOOD]],
    ["values joined by node", `${GOOD}, ${GOOD}`],
    ["joined junk", "a, b"],
  ])("reports duplicated for %s", (_name, value) => {
    expect(parseSignatureHeader(value)).toEqual({ ok: false, problem: "duplicated" });
  });

  it.each([
    ["upper-case prefix", `SHA256=${HEX}`],
    ["upper-case hex", `sha256=${HEX.toUpperCase()}`],
    ["63 hex chars", `sha256=${HEX.slice(0, 63)}`],
    ["65 hex chars", `sha256=${HEX}0`],
    ["non-hex", `sha256=${"g".repeat(64)}`],
    ["no prefix", HEX],
    ["sha1 prefix", `sha1=${HEX}`],
    ["leading space", ` ${GOOD}`],
    ["trailing space", `${GOOD} `],
    ["trailing newline", `${GOOD}\n`],
  ])("reports malformed for %s", (_name, value) => {
    expect(parseSignatureHeader(value)).toEqual({ ok: false, problem: "malformed" });
  });
});

describe("verifySignature", () => {
  it("accepts the right signature as string or bytes", () => {
    expect(verifySignature(BODY, GOOD, SECRET)).toEqual({ ok: true, matchedIndex: 0 });
    expect(verifySignature(Buffer.from(BODY), GOOD, [SECRET])).toEqual({
      ok: true,
      matchedIndex: 0,
    });
  });

  it("rejects a body with one byte changed", () => {
    const bytes = Buffer.from(BODY, "utf8");
    bytes[5] = (bytes[5] ?? 0) ^ 0x01;
    expect(verifySignature(bytes, GOOD, SECRET)).toEqual({ ok: false, problem: "mismatch" });
  });

  it("rejects the same JSON re-serialized with other spacing", () => {
    const respaced = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(JSON.parse(respaced)).toEqual(JSON.parse(BODY));
    expect(verifySignature(respaced, GOOD, SECRET)).toEqual({ ok: false, problem: "mismatch" });
  });

  it("rejects a body with a trailing newline added", () => {
    expect(verifySignature(`${BODY}\n`, GOOD, SECRET)).toEqual({
      ok: false,
      problem: "mismatch",
    });
  });

  it("rejects a signature made with another secret", () => {
    const other = signBody(BODY, "another secret");
    expect(verifySignature(BODY, other, SECRET)).toEqual({ ok: false, problem: "mismatch" });
  });

  it("reports header problems before comparing", () => {
    expect(verifySignature(BODY, `SHA256=${HEX}`, SECRET)).toEqual({
      ok: false,
      problem: "malformed",
    });
    expect(verifySignature(BODY, `sha256=${HEX.toUpperCase()}`, SECRET)).toEqual({
      ok: false,
      problem: "malformed",
    });
    expect(verifySignature(BODY, undefined, SECRET)).toEqual({ ok: false, problem: "missing" });
    expect(verifySignature(BODY, "", SECRET)).toEqual({ ok: false, problem: "missing" });
    expect(verifySignature(BODY, [GOOD, GOOD], SECRET)).toEqual({
      ok: false,
      problem: "duplicated",
    });
    expect(verifySignature(BODY, "a, b", SECRET)).toEqual({ ok: false, problem: "duplicated" });
  });

  it("accepts any of several overlapping secrets and says which matched", () => {
    expect(verifySignature(BODY, GOOD, ["old secret", SECRET])).toEqual({
      ok: true,
      matchedIndex: 1,
    });
    expect(verifySignature(BODY, GOOD, [SECRET, "new secret"])).toEqual({
      ok: true,
      matchedIndex: 0,
    });
    expect(verifySignature(BODY, GOOD, ["old secret", "new secret"])).toEqual({
      ok: false,
      problem: "mismatch",
    });
    expect(verifySignature(BODY, GOOD, [])).toEqual({ ok: false, problem: "mismatch" });
  });
});
