import type { FakeDiscord } from "./fake-discord.ts";

/*
 * Helpers for end-to-end tests: Socra's real discord.js client served against the fake Discord.
 */

export type Json = Record<string, unknown>;

/** Waits until `check` holds, or gives up after `timeoutMs` (the assertion after it then fails). */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

export const textOf = (data: Json | undefined): string => JSON.stringify(data ?? {});
export const customIds = (data: Json | undefined): string[] =>
  [...textOf(data).matchAll(/"custom_id":"([^"]+)"/g)].map((m) => m[1] as string);

/** One thing the bot sent for an interaction: its response (by type), an edit or a follow-up. */
export interface SentMessage {
  readonly type: number | "edit" | "follow-up";
  readonly data: Json | undefined;
  /** The files uploaded with it (multipart). */
  readonly uploads: FakeDiscord["requests"][number]["uploads"];
}

/** Everything the bot sent for one interaction so far: its response, edits and follow-ups. */
export function sentFor(fake: FakeDiscord, token: string): SentMessage[] {
  const callbackUploads = (interactionToken: string) =>
    fake
      .requestsTo("POST", new RegExp(`^/interactions/\\d+/${interactionToken}/callback$`))
      .flatMap((r) => r.uploads);
  return [
    ...fake.callbacks
      .filter((c) => c.token === token)
      .map((c) => ({ type: c.type, data: c.data, uploads: callbackUploads(token) })),
    ...fake
      .requestsTo("PATCH", new RegExp(`/webhooks/\\d+/${token}/messages/@original`))
      .map((r) => ({ type: "edit" as const, data: r.body as Json, uploads: r.uploads })),
    ...fake
      .requestsTo("POST", new RegExp(`/webhooks/\\d+/${token}$`))
      .map((r) => ({ type: "follow-up" as const, data: r.body as Json, uploads: r.uploads })),
  ];
}

/** What the bot sent for one interaction, once there are at least `count` of them. */
export async function answersTo(
  fake: FakeDiscord,
  token: string,
  count = 1,
): Promise<SentMessage[]> {
  await until(() => sentFor(fake, token).length >= count);
  return sentFor(fake, token);
}

/** What the bot sent for one interaction, once one of them satisfies `check`. */
export async function answersUntil(
  fake: FakeDiscord,
  token: string,
  check: (data: Json | undefined) => boolean,
): Promise<SentMessage[]> {
  await until(() => sentFor(fake, token).some((a) => check(a.data)));
  return sentFor(fake, token);
}

/** The Ephemeral flag (64) of a response, an edit or a follow-up. */
export function isEphemeral(message: SentMessage | undefined): boolean {
  return (Number(message?.data?.flags ?? 0) & 64) === 64;
}
