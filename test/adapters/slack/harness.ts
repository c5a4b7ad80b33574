import { join } from "node:path";
import { loadConfig } from "../../../src/config.ts";
import { type Server, serve } from "../../../src/serve.ts";
import type { TutorLlm } from "../../../src/tutor/index.ts";
import { freePort } from "../../free-port.ts";
import { FIXTURES, silentLogger } from "../../tutor/harness.ts";
import {
  type FakeSlack,
  type FakeSlackOptions,
  type SlackApiCall,
  startFakeSlack,
} from "./fake-slack.ts";
import { loadSlackFixture } from "./fixtures.ts";
import {
  actionBody,
  CONTENT_TYPE,
  commandBody,
  type SignedResponse,
  signedRequest,
} from "./signing.ts";

/** The signing secret every Slack end-to-end test signs with. */
export const SECRET = "test-signing-secret";

/** Waits until `isDone` holds (the turn runs after the ack), at most 10 s. */
export async function waitFor(isDone: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!isDone() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Waits until the fake has seen `count` calls of `method` (the turn runs after the ack). */
export async function callsOf(
  fake: FakeSlack,
  method: string,
  count: number,
): Promise<SlackApiCall[]> {
  await waitFor(() => fake.callsTo(method).length >= count);
  return fake.callsTo(method);
}

export const blocksText = (call: SlackApiCall | undefined) =>
  JSON.stringify(call?.body.blocks ?? []);

/** `socra serve` for Slack in HTTP mode against a fake Slack, on the mini course. */
export interface SlackUnderTest {
  readonly fake: FakeSlack;
  readonly server: Server;
  /** The app's /slack/events URL. */
  readonly events: string;
  readonly base: string;
  /** Sends `/tutor TEXT` (or another command) as `user` in `channel`, signed. */
  command(fields: {
    user: string;
    channel: string;
    text: string;
    command?: string;
    /** Names the command's response_url (`fake.responseUrl(id)`). */
    responseId?: string;
  }): Promise<SignedResponse>;
  /** Presses a button as `user` on `message` (a chat.postMessage call, or none: ephemeral). */
  press(fields: {
    user: string;
    channel: string;
    actionId: string;
    value?: string;
    label?: string;
    message?: SlackApiCall;
    responseId?: string;
  }): Promise<SignedResponse>;
  close(): Promise<void>;
}

/** Starts a fake Slack and the app pointed at it; `env` adds configuration. */
export async function startSlack(
  env: Readonly<Record<string, string>> = {},
  fakeOptions: FakeSlackOptions = {},
  llm?: TutorLlm,
): Promise<SlackUnderTest> {
  const fake = await startFakeSlack(fakeOptions);
  const port = await freePort();
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_API_URL: fake.url,
    PORT: String(port),
    ...env,
  });
  const server = await serve(config, {
    courseFile: join(FIXTURES, "mini.yaml"),
    logger: silentLogger,
    ...(llm ? { llm } : {}),
  }).catch(async (error: unknown) => {
    await fake.close();
    throw error;
  });
  const base = `http://127.0.0.1:${port}`;
  const events = `${base}/slack/events`;
  let counter = 0;
  return {
    fake,
    server,
    events,
    base,
    command: ({ user, channel, text, command = "/tutor", responseId }) =>
      signedRequest(
        events,
        SECRET,
        commandBody({
          ...(loadSlackFixture("command-tutor-start") as Record<string, string>),
          command,
          text,
          user_id: user,
          user_name: user.toLowerCase(),
          channel_id: channel,
          channel_name: channel.startsWith("D") ? "directmessage" : "class",
          response_url: fake.responseUrl(responseId ?? `command-${++counter}`),
        }),
        CONTENT_TYPE.form,
      ),
    press: ({ user, channel, actionId, value, label = actionId, message, responseId }) => {
      const ts = message?.response.ts as string | undefined;
      const fixture = loadSlackFixture("block-actions-answer-dm");
      const { message: _, ...withoutMessage } = fixture;
      return signedRequest(
        events,
        SECRET,
        actionBody({
          ...withoutMessage,
          user: {
            id: user,
            username: user.toLowerCase(),
            name: user.toLowerCase(),
            team_id: "T0TEAM",
          },
          channel: { id: channel, name: channel.startsWith("D") ? "directmessage" : "class" },
          actions: [
            {
              type: "button",
              action_id: actionId,
              block_id: "b",
              text: { type: "plain_text", text: label, emoji: true },
              ...(value === undefined ? {} : { value }),
              action_ts: "1767261610.123456",
            },
          ],
          response_url: fake.responseUrl(responseId ?? `action-${++counter}`),
          // Slack leaves an ephemeral message out of the payload: only its container says so.
          ...(message
            ? {
                message: {
                  type: "message",
                  ts,
                  text: message.body.text,
                  blocks: message.body.blocks ?? [],
                  bot_id: "B0BOT",
                  user: "U0BOT",
                },
              }
            : {}),
          container: {
            type: "message",
            message_ts: ts ?? "1767261601.000200",
            channel_id: channel,
            is_ephemeral: message === undefined,
          },
        }),
        CONTENT_TYPE.form,
      );
    },
    async close() {
      await server.close();
      await fake.close();
    },
  };
}
