import { DefaultRestOptions, type RESTOptions } from "discord.js";

type RequestInit = Parameters<RESTOptions["makeRequest"]>[1];

/**
 * Discord REST requests, with uploads encoded to bytes first. @discordjs/rest sends files as a
 * FormData through its own undici 6; once a newer undici is loaded in the same process (the
 * OpenAI client, Slack's socket mode), that one takes over the global dispatcher and refuses a
 * FormData it did not make ("body must be a FormData created by this undici package instance",
 * nodejs/undici#5520), so every upload (a report's heat map, a data export) failed. Bytes and a
 * multipart content type go through any dispatcher.
 */
export async function makeDiscordRequest(
  url: string,
  init: RequestInit,
): ReturnType<RESTOptions["makeRequest"]> {
  const { body } = init;
  if (Object.prototype.toString.call(body) !== "[object FormData]")
    return DefaultRestOptions.makeRequest(url, init);
  // The platform's Response writes the multipart body and its boundary.
  const encoded = new Response(body as FormData);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries((init.headers ?? {}) as Record<string, string>))
    if (name.toLowerCase() !== "content-type") headers[name] = value;
  headers["Content-Type"] = encoded.headers.get("content-type") ?? "multipart/form-data";
  return DefaultRestOptions.makeRequest(url, {
    ...init,
    headers,
    body: new Uint8Array(await encoded.arrayBuffer()),
  });
}
