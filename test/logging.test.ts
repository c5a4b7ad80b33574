import { describe, expect, it } from "vitest";
import { serializeError } from "../src/logging.ts";

describe("error serialization", () => {
  it("drops request bodies and masks interaction and webhook tokens", () => {
    const error = Object.assign(
      new Error("Unknown interaction at /interactions/123/aW50ZXJhY3Rpb24/callback"),
      {
        url: "https://discord.com/api/v10/webhooks/456/c2VjcmV0LXRva2Vu/messages/@original",
        requestBody: { json: { content: "my answer is 3/4" } },
        rawError: { message: "Unknown interaction" },
        code: 10062,
      },
    );
    const serialized = serializeError(error);
    const text = JSON.stringify(serialized);
    expect(text).not.toContain("aW50ZXJhY3Rpb24");
    expect(text).not.toContain("c2VjcmV0LXRva2Vu");
    expect(text).not.toContain("my answer is");
    expect(serialized).toMatchObject({
      code: 10062,
      url: expect.stringContaining("/webhooks/456/[redacted]/"),
    });
  });
});
