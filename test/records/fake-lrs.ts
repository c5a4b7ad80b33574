import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { isDeepStrictEqual } from "node:util";

/** One request as the fake LRS received it. */
export interface LrsRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  /** The parsed JSON body (the raw text when it was not JSON). */
  readonly body: unknown;
}

/** A scripted answer to the next POST, instead of the LRS behaviour. */
export type LrsReply =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  /** Never answers; the socket stays open until the client gives up or the fake closes. */
  | { kind: "hang" };

/** A local xAPI LRS for tests; see {@link startFakeLrs}. */
export interface FakeLrs {
  /** The xAPI endpoint (statements are POSTed to `${endpoint}/statements`). */
  readonly endpoint: string;
  /** Every request, in order. */
  readonly requests: LrsRequest[];
  /** Statements stored, by id. */
  readonly stored: Map<string, unknown>;
  /** Scripted replies for the next POSTs, in order; the LRS behaviour resumes after them. */
  enqueue(...replies: LrsReply[]): void;
  /** Closes the server and destroys open sockets, hung requests included. */
  close(): Promise<void>;
}

/**
 * Starts a fake LRS on 127.0.0.1 (random port) that behaves as xAPI 1.0.3 asks of POST
 * /statements: Basic auth (401 otherwise), the version header (400 without), a JSON
 * statement or array; a batch with repeated ids is refused (400); a statement whose id is
 * stored with other content makes the whole batch 409 and stores nothing; otherwise stores the
 * new statements and answers 200 with their ids. The same statement again is accepted as is.
 */
export async function startFakeLrs(credentials: {
  username: string;
  password: string;
}): Promise<FakeLrs> {
  const requests: LrsRequest[] = [];
  const stored = new Map<string, unknown>();
  const queue: LrsReply[] = [];
  const sockets = new Set<Socket>();
  const expectedAuth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text.
      }
      const recorded: LrsRequest = {
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body,
      };
      requests.push(recorded);
      const scripted = queue.shift();
      if (scripted?.kind === "hang") return;
      if (scripted) {
        response.writeHead(scripted.status, scripted.headers ?? {});
        response.end(scripted.body ?? "");
        return;
      }
      behave(recorded, response);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  function behave(request: LrsRequest, response: ServerResponse): void {
    const [status, body] = outcomeOf(request);
    response.writeHead(status, {
      "content-type": "application/json",
      "x-experience-api-version": "1.0.3",
    });
    response.end(JSON.stringify(body));
  }

  function outcomeOf(request: LrsRequest): [status: number, body: unknown] {
    if (request.method !== "POST" || request.path !== "/xapi/statements")
      return [404, { message: "Not found" }];
    if (request.headers.authorization !== expectedAuth) return [401, { message: "Unauthorized" }];
    if (!String(request.headers["x-experience-api-version"] ?? "").startsWith("1.0."))
      return [400, { message: "X-Experience-API-Version header missing or unsupported" }];
    if (!String(request.headers["content-type"] ?? "").startsWith("application/json"))
      return [400, { message: "Content-Type must be application/json" }];
    const batch = Array.isArray(request.body) ? request.body : [request.body];
    const ids = batch.map((statement) => (statement as { id?: unknown })?.id);
    if (ids.some((id) => typeof id !== "string"))
      return [400, { message: "Every statement needs an id in this fake" }];
    if (new Set(ids).size !== ids.length)
      return [400, { message: "Repeated statement ids in one batch" }];
    for (const statement of batch) {
      const id = (statement as { id: string }).id;
      if (stored.has(id) && !isDeepStrictEqual(stored.get(id), statement))
        return [409, { message: `Statement ${id} already exists with other content` }];
    }
    for (const statement of batch) stored.set((statement as { id: string }).id, statement);
    return [200, ids];
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/xapi`,
    requests,
    stored,
    enqueue: (...replies) => queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
