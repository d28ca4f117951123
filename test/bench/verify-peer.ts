/**
 * The second baseline for the ingress benchmark: a `node:http` server that reads the body
 * and checks its `X-Agentruntime-Signature` with the sandbox's own `verifySignature`, then
 * answers 202, storing nothing. It makes up its signing secret and prints it with its URL as
 * one JSON line (`{"url","secret"}`) on stdout; SIGTERM or SIGINT stops it.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature } from "../../src/signing/signature.js";

const secret = `whsec_${randomBytes(24).toString("base64url")}`;
const ANSWER = JSON.stringify({ accepted: true });
const REFUSAL = JSON.stringify({ error: { code: "invalid_signature" } });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const check = verifySignature(body, req.headersDistinct["x-agentruntime-signature"], secret);
    const answer = check.ok ? ANSWER : REFUSAL;
    res.writeHead(check.ok ? 202 : 401, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(answer),
    });
    res.end(answer);
  });
});

server.listen(0, "127.0.0.1", () => {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://${address}:${port}`, secret })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
