import { createInterface } from "node:readline";
import type { Inbound, Reply, StreamEvent, Tutor } from "../../tutor/index.ts";
import { renderReply, replyToJson } from "./render.ts";

export interface ConsoleOptions {
  readonly tutor: Tutor;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly learner: string;
  readonly tenant?: string;
  /** One JSON object per reply line instead of readable text. */
  readonly json?: boolean;
  /** ANSI colours (only for a terminal). */
  readonly color?: boolean;
  /** Show a "› " prompt before each line (interactive terminals). */
  readonly prompt?: boolean;
  /** Print LLM text as it is written (interactive terminals; not with --json). */
  readonly stream?: boolean;
}

/**
 * The console tutor: reads one learner message per line, prints the replies. Starts with a
 * greeting and the first question; the end of input ends the session (everything is saved at
 * the end of each turn).
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { tutor, input, output, learner } = options;
  const tenant = options.tenant ?? "local";
  /** What each stream has printed so far. */
  const streamed = new Map<string, string>();
  const onStream = (event: StreamEvent): void => {
    const shown = streamed.get(event.streamId) ?? "";
    // Text grows sentence by sentence; a regenerated text starts on a fresh line.
    output.write(event.text.startsWith(shown) ? event.text.slice(shown.length) : `\n${event.text}`);
    streamed.set(event.streamId, event.text);
  };
  const write = (replies: readonly Reply[]): void => {
    for (const reply of replies) {
      const shown = reply.streamId === undefined ? undefined : streamed.get(reply.streamId);
      if (shown !== undefined && !options.json) {
        output.write(
          reply.text.startsWith(shown)
            ? `${reply.text.slice(shown.length)}\n\n`
            : `\n${renderReply(reply, false)}\n\n`,
        );
        continue;
      }
      output.write(
        options.json
          ? `${JSON.stringify(replyToJson(reply))}\n`
          : `${renderReply(reply, options.color ?? false)}\n\n`,
      );
    }
    streamed.clear();
  };
  const prompt = (): void => {
    if (options.prompt && !options.json) output.write("› ");
  };
  const send = async (message: Omit<Inbound, "tenant" | "platform" | "learner">): Promise<void> => {
    const isStreaming = options.stream === true && options.json !== true;
    write(
      await tutor.handle(
        { tenant, platform: "console", learner, ...message },
        isStreaming ? { onStream } : {},
      ),
    );
  };
  await send({ command: { name: "start", args: "" } });
  prompt();
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  for await (const line of lines) {
    await send({ text: line });
    prompt();
  }
  if (options.prompt && !options.json) output.write("\n");
}
