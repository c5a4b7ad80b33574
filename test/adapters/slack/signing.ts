import { createHmac } from "node:crypto";

/** The two headers Slack adds to every HTTP request it sends to an app. */
export const SIGNATURE_HEADER = "x-slack-signature";
export const TIMESTAMP_HEADER = "x-slack-request-timestamp";
type SignatureHeaderName = typeof SIGNATURE_HEADER | typeof TIMESTAMP_HEADER;

/** Content types Slack posts with: events are JSON, commands and actions are form-encoded. */
export const CONTENT_TYPE = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
} as const;

/** Placeholder ids used by every Slack fixture and helper in these tests. */
export const SLACK_IDS = {
  teamId: "T0TEAM",
  appId: "A0APP",
  learnerId: "U0LEARNER",
  botUserId: "U0BOT",
  botId: "B0BOT",
  channelId: "C0CHANNEL",
  dmChannelId: "D0DM",
} as const;

/** The current time in whole Unix seconds, the unit of `x-slack-request-timestamp`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}` keyed
 * with the signing secret. The raw body is signed byte for byte, before any parsing.
 */
export function slackSignature(secret: string, timestampSeconds: number, rawBody: string): string {
  const digest = createHmac("sha256", secret)
    .update(`v0:${timestampSeconds}:${rawBody}`)
    .digest("hex");
  return `v0=${digest}`;
}

export interface EventBodyOptions {
  /** `event_id`; Slack keeps it across retries, so it is the key for redelivery tests. */
  eventId: string;
  teamId?: string;
  apiAppId?: string;
  /** `event_time` in Unix seconds; defaults to now. */
  eventTimeSeconds?: number;
}

/**
 * An Events API request body: the `event_callback` wrapper around one inner event, shaped as
 * in Slack's "event object" reference (authorizations name the bot user the install belongs to).
 */
export function eventBody(event: Record<string, unknown>, options: EventBodyOptions): string {
  const teamId = options.teamId ?? SLACK_IDS.teamId;
  return JSON.stringify({
    token: "verification-token-placeholder",
    team_id: teamId,
    api_app_id: options.apiAppId ?? SLACK_IDS.appId,
    event,
    type: "event_callback",
    authorizations: [
      {
        enterprise_id: null,
        team_id: teamId,
        user_id: SLACK_IDS.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    event_id: options.eventId,
    event_time: options.eventTimeSeconds ?? nowSeconds(),
  });
}

/** A slash command request body: its fields, form-encoded as Slack sends them. */
export function commandBody(fields: Readonly<Record<string, string>>): string {
  return new URLSearchParams(fields).toString();
}

/** An interactivity request body (block_actions and the like): `payload=` + URL-encoded JSON. */
export function actionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface SignedRequestOptions {
  /** Unix seconds sent in `x-slack-request-timestamp` and signed; defaults to now. */
  timestamp?: number;
  /** Sent instead of the correct signature (a bad or foreign one). */
  signature?: string;
  /** Headers to leave out, for the "missing headers" cases. */
  omitHeaders?: readonly SignatureHeaderName[];
  /** Extra headers, e.g. `x-slack-retry-num` / `x-slack-retry-reason` for a redelivery. */
  headers?: Readonly<Record<string, string>>;
}

export interface SignedResponse {
  status: number;
  text: string;
  headers: Headers;
}

/** POSTs `body` to `url` signed exactly as Slack signs it; resolves with the answer. */
export async function signedRequest(
  url: string,
  secret: string,
  body: string,
  contentType: string,
  options: SignedRequestOptions = {},
): Promise<SignedResponse> {
  const timestamp = options.timestamp ?? nowSeconds();
  const headers: Record<string, string> = {
    "content-type": contentType,
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: options.signature ?? slackSignature(secret, timestamp, body),
    ...options.headers,
  };
  for (const name of options.omitHeaders ?? []) delete headers[name];
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
