import { createHmac, timingSafeEqual } from "node:crypto";

/** Header carrying `sha256=<64 lowercase hex>`; node lower-cases incoming header names. */
export const SIGNATURE_HEADER = "x-agentruntime-signature";

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/;

function hmacDigest(body: Uint8Array | string, secret: string): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(bytes).digest();
}

/**
 * Signs a body exactly like the seed's Python `sign_body`: `"sha256="` + lowercase hex
 * HMAC-SHA256 of the body bytes, keyed with the UTF-8 bytes of `secret`.
 * A string body is signed as its UTF-8 bytes.
 */
export function signBody(body: Uint8Array | string, secret: string): string {
  return `sha256=${hmacDigest(body, secret).toString("hex")}`;
}

/** Why a signature header could not be used at all (before any comparison). */
export type SignatureHeaderProblem = "missing" | "duplicated" | "malformed";

/**
 * Parses an `X-Agentruntime-Signature` value as node hands it over: a string
 * (`req.headers`, where repeats are joined with ", "), an array (`req.headersDistinct`)
 * or `undefined`. Only `sha256=` followed by exactly 64 lowercase hex characters is accepted.
 */
export function parseSignatureHeader(
  value: string | readonly string[] | undefined,
): { ok: true; digest: Buffer } | { ok: false; problem: SignatureHeaderProblem } {
  let single: string | undefined;
  if (typeof value === "string") {
    single = value;
  } else if (value !== undefined) {
    if (value.length > 1) return { ok: false, problem: "duplicated" };
    single = value[0];
  }
  if (single === undefined || single === "") return { ok: false, problem: "missing" };
  if (single.includes(",")) return { ok: false, problem: "duplicated" };
  const match = SIGNATURE_PATTERN.exec(single);
  if (match?.[1] === undefined) return { ok: false, problem: "malformed" };
  return { ok: true, digest: Buffer.from(match[1], "hex") };
}

/** Outcome of {@link verifySignature}; `matchedIndex` is the index of the secret that matched. */
export type SignatureCheck =
  | { ok: true; matchedIndex: number }
  | { ok: false; problem: SignatureHeaderProblem | "mismatch" };

/**
 * Verifies a signature header against the raw body under one or more secrets (several while a
 * rotated secret overlaps with its replacement). The header is parsed first, so a malformed
 * value is rejected before any HMAC is compared; digests are compared in constant time.
 */
export function verifySignature(
  body: Uint8Array | string,
  header: string | readonly string[] | undefined,
  secrets: string | readonly string[],
): SignatureCheck {
  const parsed = parseSignatureHeader(header);
  if (!parsed.ok) return parsed;
  const list = typeof secrets === "string" ? [secrets] : secrets;
  let matchedIndex = -1;
  // Every secret is tried so the time taken does not reveal which one matched.
  list.forEach((secret, index) => {
    if (timingSafeEqual(hmacDigest(body, secret), parsed.digest) && matchedIndex === -1) {
      matchedIndex = index;
    }
  });
  return matchedIndex === -1 ? { ok: false, problem: "mismatch" } : { ok: true, matchedIndex };
}
