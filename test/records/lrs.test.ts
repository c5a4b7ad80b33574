import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/engine/index.ts";
import {
  createLrsClient,
  type LearningEvent,
  type LrsClient,
  LrsError,
  toStatements,
  type XapiStatement,
} from "../../src/records/index.ts";
import { type FakeLrs, startFakeLrs } from "./fake-lrs.ts";

const USERNAME = "socra-key-7f3a";
const PASSWORD = "s3cr3t-Pa55-9e1c";
const TOKEN = Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64");

const BASE_EVENT = {
  tenant: "T0123ABC",
  platform: "slack",
  learner: "U042LEARNER",
  course: { id: "fractions", title: "Fractions" },
  skill: { id: "add-like", name: "Adding fractions with like denominators" },
  kind: "answer",
  itemId: "add-like-3",
  answer: "3/5",
  verdict: "correct",
  attempt: 1,
} as const satisfies Omit<LearningEvent, "at">;

function statementAt(at: number, overrides: Partial<LearningEvent> = {}): XapiStatement {
  const [statement] = toStatements(
    { ...BASE_EVENT, at, ...overrides },
    { baseIri: "https://socra.example" },
  );
  if (!statement) throw new Error("no statement");
  return statement;
}

const BATCH = [statementAt(1_741_944_600_000), statementAt(1_741_944_660_000)];

let lrs: FakeLrs;
let client: LrsClient;

beforeEach(async () => {
  lrs = await startFakeLrs({ username: USERNAME, password: PASSWORD });
  client = createLrsClient({
    endpoint: lrs.endpoint,
    username: USERNAME,
    password: PASSWORD,
    timeoutMs: 5_000,
  });
});

afterEach(async () => {
  await lrs.close();
});

/** The LrsError a promise rejects with; fails the test when it resolves or throws anything else. */
async function lrsErrorOf(promise: Promise<unknown>): Promise<LrsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LrsError);
    return error as LrsError;
  }
  return expect.fail("expected an LrsError");
}

function expectNoCredentials(error: unknown): void {
  const seen = [
    String(error),
    (error as Error).message,
    JSON.stringify(error),
    String((error as Error).cause ?? ""),
    (error as Error).stack ?? "",
  ].join("\n");
  for (const secret of [PASSWORD, TOKEN, USERNAME]) expect(seen).not.toContain(secret);
}

describe("LRS client: sending", () => {
  it("POSTs the batch to /statements with Basic auth, the xAPI version and JSON", async () => {
    await client.send(BATCH);
    expect(lrs.requests).toHaveLength(1);
    const [request] = lrs.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/xapi/statements");
    expect(request?.headers.authorization).toBe(`Basic ${TOKEN}`);
    expect(request?.headers["x-experience-api-version"]).toBe("1.0.3");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual(JSON.parse(JSON.stringify(BATCH)));
    expect([...lrs.stored.keys()]).toEqual(BATCH.map((statement) => statement.id));
  });

  it("an endpoint with a trailing slash still posts to one /statements", async () => {
    const slashed = createLrsClient({
      endpoint: `${lrs.endpoint}/`,
      username: USERNAME,
      password: PASSWORD,
    });
    await slashed.send(BATCH);
    expect(lrs.requests[0]?.path).toBe("/xapi/statements");
  });

  it("an empty batch sends nothing", async () => {
    await client.send([]);
    expect(lrs.requests).toHaveLength(0);
  });

  it("a statement repeated in the batch is sent once", async () => {
    await client.send([BATCH[0] as XapiStatement, ...BATCH]);
    expect(lrs.requests).toHaveLength(1);
    expect(lrs.requests[0]?.body).toHaveLength(2);
    expect(lrs.stored.size).toBe(2);
  });

  it("uses the fetch it is given", async () => {
    const urls: string[] = [];
    const counting = createLrsClient({
      endpoint: lrs.endpoint,
      username: USERNAME,
      password: PASSWORD,
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    await counting.send(BATCH);
    expect(urls).toEqual([`${lrs.endpoint}/statements`]);
    expect(lrs.stored.size).toBe(2);
  });
});

describe("LRS client: duplicates and 409 Conflict", () => {
  it("re-sending the same statements succeeds and stores nothing twice", async () => {
    await client.send(BATCH);
    await client.send(BATCH);
    expect(lrs.requests).toHaveLength(2);
    expect(lrs.stored.size).toBe(2);
  });

  it("a single statement the LRS holds with other content counts as recorded", async () => {
    const first = BATCH[0] as XapiStatement;
    await client.send([first]);
    const reworded: XapiStatement = {
      ...first,
      result: { ...first.result, response: "three fifths" },
    };
    expect(reworded.id).toBe(first.id);
    await client.send([reworded]);
    expect(lrs.requests).toHaveLength(2);
    expect((lrs.stored.get(first.id) as XapiStatement).result?.response).toBe("3/5");
  });

  it("a batch refused with 409 is re-sent one by one, so its new statements are stored", async () => {
    const first = BATCH[0] as XapiStatement;
    await client.send([first]);
    const conflicting: XapiStatement = { ...first, timestamp: "2025-03-14T09:31:00.000Z" };
    const fresh = statementAt(1_741_944_720_000);
    await client.send([conflicting, fresh]);
    // The batch (409, nothing stored), then each statement on its own.
    expect(lrs.requests.map((request) => (request.body as unknown[]).length)).toEqual([1, 2, 1, 1]);
    expect(lrs.stored.has(fresh.id)).toBe(true);
    expect((lrs.stored.get(first.id) as XapiStatement).timestamp).toBe(first.timestamp);
  });
});

describe("LRS client: failures", () => {
  it("500 is retryable (unavailable); the next send goes through", async () => {
    lrs.enqueue({ kind: "status", status: 500, body: '{"message":"database is restarting"}' });
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.code).toBe("unavailable");
    expect(error.isRetryable).toBe(true);
    expect(error.status).toBe(500);
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).toContain("database is restarting");
    await client.send(BATCH);
    expect(lrs.stored.size).toBe(2);
  });

  it("429 with Retry-After in seconds gives retryAfterMs", async () => {
    lrs.enqueue({ kind: "status", status: 429, headers: { "retry-after": "7" } });
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.code).toBe("unavailable");
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(7_000);
  });

  it("503 with Retry-After as an HTTP date gives the time until then", async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    lrs.enqueue({ kind: "status", status: 503, headers: { "retry-after": inTwoMinutes } });
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.code).toBe("unavailable");
    expect(error.retryAfterMs).toBeGreaterThan(60_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it("400 is rejected, not retryable, with the LRS's message shortened", async () => {
    const long = `Invalid statement: ${"verb.id must be an IRI; ".repeat(400)}`;
    lrs.enqueue({ kind: "status", status: 400, body: JSON.stringify({ message: long }) });
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.code).toBe("rejected");
    expect(error.isRetryable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.message).toContain("Invalid statement: verb.id must be an IRI");
    expect(error.message.length).toBeLessThan(400);
  });

  it("wrong credentials are rejected (401) with a hint and without the credentials", async () => {
    const wrong = createLrsClient({
      endpoint: lrs.endpoint,
      username: USERNAME,
      password: "not-the-password",
    });
    const error = await lrsErrorOf(wrong.send(BATCH));
    expect(error.code).toBe("rejected");
    expect(error.status).toBe(401);
    expect(error.message).toContain("check the LRS credentials");
    expect(error.message).not.toContain("not-the-password");
  });

  it("a redirect is not followed (the credentials stay here) and is rejected", async () => {
    lrs.enqueue({
      kind: "status",
      status: 307,
      headers: { location: `${lrs.endpoint}/elsewhere/statements` },
    });
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.code).toBe("rejected");
    expect(error.status).toBe(307);
    expect(lrs.requests).toHaveLength(1);
  });

  it("a timeout is unavailable", async () => {
    const impatient = createLrsClient({
      endpoint: lrs.endpoint,
      username: USERNAME,
      password: PASSWORD,
      timeoutMs: 200,
    });
    lrs.enqueue({ kind: "hang" });
    const error = await lrsErrorOf(impatient.send(BATCH));
    expect(error.code).toBe("unavailable");
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain("did not answer within 200 ms");
    expect(error.status).toBeUndefined();
  });

  it("a refused connection (server gone) is unavailable", async () => {
    await lrs.close();
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.status).toBeUndefined();
    lrs = await startFakeLrs({ username: USERNAME, password: PASSWORD });
  });
});

describe("LRS client: credentials never appear in errors", () => {
  it.each<[string, (lrs: FakeLrs) => void]>([
    ["500", (fake) => fake.enqueue({ kind: "status", status: 500 })],
    [
      "429",
      (fake) => fake.enqueue({ kind: "status", status: 429, headers: { "retry-after": "1" } }),
    ],
    ["400", (fake) => fake.enqueue({ kind: "status", status: 400, body: "bad statement" })],
    ["307", (fake) => fake.enqueue({ kind: "status", status: 307, headers: { location: "/x" } })],
    [
      "an LRS that echoes the request's credentials in its error",
      (fake) =>
        fake.enqueue({
          kind: "status",
          status: 403,
          body: JSON.stringify({
            message: `Forbidden for Authorization: Basic ${TOKEN} (user ${USERNAME}, password ${PASSWORD})`,
          }),
        }),
    ],
  ])("%s", async (_name, script) => {
    script(lrs);
    expectNoCredentials(await lrsErrorOf(client.send(BATCH)));
  });

  it("timeouts and refused connections", async () => {
    const impatient = createLrsClient({
      endpoint: lrs.endpoint,
      username: USERNAME,
      password: PASSWORD,
      timeoutMs: 100,
    });
    lrs.enqueue({ kind: "hang" });
    expectNoCredentials(await lrsErrorOf(impatient.send(BATCH)));
    await lrs.close();
    expectNoCredentials(await lrsErrorOf(client.send(BATCH)));
    lrs = await startFakeLrs({ username: USERNAME, password: PASSWORD });
  });

  it("an echoed message keeps what it said, with the secrets replaced", async () => {
    lrs.enqueue({
      kind: "status",
      status: 403,
      body: JSON.stringify({ message: `No write scope for password ${PASSWORD}` }),
    });
    const error = await lrsErrorOf(client.send(BATCH));
    expect(error.message).toContain("No write scope for password [redacted]");
  });
});

describe("LRS client: configuration", () => {
  it.each([
    ["credentials in the endpoint", `https://${USERNAME}:${PASSWORD}@lrs.example/xapi`],
    ["not a URL", `lrs.example ${PASSWORD}`],
    ["not http(s)", "ftp://lrs.example/xapi"],
    ["a query", "https://lrs.example/xapi?key=abc"],
  ])("refuses an endpoint with %s, without echoing it", (_name, endpoint) => {
    try {
      createLrsClient({ endpoint, username: USERNAME, password: PASSWORD });
      expect.fail("createLrsClient should have thrown");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe("invalid_lrs_endpoint");
      expectNoCredentials(error);
    }
  });

  it("refuses a username with ':' (HTTP Basic cannot carry it)", () => {
    expect(() =>
      createLrsClient({ endpoint: "https://lrs.example/xapi", username: "a:b", password: "c" }),
    ).toThrow(ValidationError);
  });
});
