/**
 * The baseline for the ingress benchmark: a `node:http` server that does the least any
 * ingress must do (read the whole body, answer 202 with a small JSON body) and nothing else.
 * Prints `{"url"}` as one JSON line once listening; SIGTERM or SIGINT stops it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const ANSWER = JSON.stringify({ accepted: true });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    // Concatenated like a real handler would, so the baseline pays for holding the body.
    const body = Buffer.concat(chunks);
    res.writeHead(202, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(ANSWER),
      "x-body-bytes": String(body.length),
    });
    res.end(ANSWER);
  });
});

server.listen(0, "127.0.0.1", () => {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://${address}:${port}` })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
