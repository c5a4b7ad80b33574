import { createInterface } from "node:readline";
import type { Inbound, Reply, Tutor } from "../../tutor/index.ts";
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
}

/**
 * The console tutor: reads one learner message per line, prints the replies. Starts with a
 * greeting and the first question; the end of input ends the session (everything is saved at
 * the end of each turn).
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { tutor, input, output, learner } = options;
  const tenant = options.tenant ?? "local";
  const write = (replies: readonly Reply[]): void => {
    for (const reply of replies) {
      output.write(
        options.json
          ? `${JSON.stringify(replyToJson(reply))}\n`
          : `${renderReply(reply, options.color ?? false)}\n\n`,
      );
    }
  };
  const prompt = (): void => {
    if (options.prompt && !options.json) output.write("› ");
  };
  const send = async (message: Omit<Inbound, "tenant" | "platform" | "learner">): Promise<void> => {
    write(await tutor.handle({ tenant, platform: "console", learner, ...message }));
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
