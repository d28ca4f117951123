import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";

/** 32 random bytes written as base64url after a prefix: signing secrets, PATs, user tokens. */
export function newToken(prefix: "whsec_" | "pat_" | "usr_"): string {
  return prefix + randomBytes(32).toString("base64url");
}

export const newId = (): string => randomUUID();

/** PATs and user tokens are kept as SHA-256 digests; they carry 256 bits, so no salt is needed. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The last four characters, the only part of a secret any answer shows. */
export function hintOf(secret: string, prefix = "…"): string {
  return `${prefix}${secret.slice(-4)}`;
}

/**
 * AES-256-GCM sealing with the sandbox key. Signing secrets, vault PATs and replayable
 * create answers are stored sealed, so a copied database file alone reveals none of them.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("the sandbox key must be 32 bytes");
    this.#key = key;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith("v1.")) throw new Error("unknown sealed-secret format");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  }
}

/**
 * Reads the key file beside the database, or creates it (mode 0600) when `create` allows.
 * A missing key for an existing database is an error: its sealed secrets would be lost.
 */
export function loadKeyFile(path: string, create: boolean): Buffer {
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600);
    const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64url");
    if (key.length !== 32) throw new Error(`the key file ${path} is damaged (expected 32 bytes)`);
    return key;
  }
  if (!create) {
    throw new Error(
      `the key file ${path} is missing, so the secrets sealed in the database beside it cannot be read; restore the key file or start with a new --db`,
    );
  }
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}
