import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/** The least a page key may hold: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_PAGE_KEY_LENGTH = 32;
/** The least key material a page key must decode to, in bytes. */
export const MIN_PAGE_KEY_BYTES = 32;
/** 32 random bytes hold about 30 different values; a key with fewer than this is not random. */
const MIN_DISTINCT_BYTES = 16;

/** The bytes a page key stands for: hex or base64 (standard or URL-safe) when it is written so. */
function keyMaterial(pageKey: string): Buffer {
  if (/^(?:[0-9a-fA-F]{2})+$/.test(pageKey)) return Buffer.from(pageKey, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(pageKey)) return Buffer.from(pageKey, "base64");
  return Buffer.from(pageKey, "utf8");
}

/**
 * Why a page key cannot be trusted to seal pages (whitespace, too little key material, too few
 * different bytes to be random), or undefined when it is fit. Never repeats the key.
 */
export function pageKeyProblem(pageKey: string): string | undefined {
  const fix = "make one with: openssl rand -base64 32, and give every replica the same";
  if (/\s/.test(pageKey))
    return `AGENTRUNTIME_PAGE_KEY holds whitespace, so it was not made by a random generator (${fix})`;
  const material = keyMaterial(pageKey);
  if (material.length < MIN_PAGE_KEY_BYTES)
    return `AGENTRUNTIME_PAGE_KEY must decode to at least ${MIN_PAGE_KEY_BYTES} bytes of random key material; this one has ${material.length} (${fix})`;
  if (new Set(material).size < MIN_DISTINCT_BYTES)
    return `AGENTRUNTIME_PAGE_KEY repeats too few different bytes to be random (${fix})`;
  return undefined;
}

/** Seals and opens what one-time pages hold, so the shared database never has it in plain text. */
export interface Sealer {
  /** AES-256-GCM with `bound` (e.g. the page id) as associated data; a row moved to another id fails to open. */
  seal(plain: string, bound: string): string;
  /** The plain text, or undefined when the key or the bound id is not the one it was sealed with. */
  open(sealed: string, bound: string): string | undefined;
  /** A keyed digest of a page id: what the store keeps, so no stored value opens a page. */
  digest(pageId: string): string;
}

/**
 * A sealer keyed by `AGENTRUNTIME_PAGE_KEY`, which every replica is given. The key is stretched
 * with HKDF, so any long random string works.
 */
export function createSealer(pageKey: string): Sealer {
  if (pageKey.length < MIN_PAGE_KEY_LENGTH) {
    throw new Error(
      `AGENTRUNTIME_PAGE_KEY must be at least ${MIN_PAGE_KEY_LENGTH} characters of random text (openssl rand -base64 32)`,
    );
  }
  const key = Buffer.from(
    hkdfSync("sha256", pageKey, "agentruntime-webhooks", "one-time pages v1", 32),
  );
  const digestKey = Buffer.from(
    hkdfSync("sha256", pageKey, "agentruntime-webhooks", "one-time page ids v1", 32),
  );
  return {
    seal(plain, bound) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(bound));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
    },
    open(sealed, bound) {
      if (!sealed.startsWith("v1.")) return undefined;
      const raw = Buffer.from(sealed.slice(3), "base64url");
      if (raw.length < 28) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(bound));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString(
          "utf8",
        );
      } catch {
        return undefined;
      }
    },
    digest(pageId) {
      return createHmac("sha256", digestKey).update(pageId).digest("base64url");
    },
  };
}
