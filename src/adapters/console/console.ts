import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  type ClassroomPlatform,
  type Inbound,
  type Notice,
  type Reply,
  ROSTER_NAME,
  type StreamEvent,
  type Tutor,
  type TutorStore,
} from "../../tutor/index.ts";
import { renderNotice, renderReply, replyToJson } from "./render.ts";

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
  /** "teacher": the console user may assign practice and read reports (learners by local id). */
  readonly role?: "learner" | "teacher";
  /** Where files from replies (report heat maps, data exports) are written; the working directory by default. */
  readonly filesDir?: string;
  /** The store, so `#class` can name every learner of this console's tenant. */
  readonly store?: TutorStore;
}

/**
 * The console tutor: reads one learner message per line, prints the replies. Starts with a
 * greeting and the first question; the end of input ends the session (everything is saved at
 * the end of each turn).
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { tutor, input, output } = options;
  const tenant = options.tenant ?? "local";
  let learner = options.learner;
  let pendingConfirm: string | undefined;
  tutor.attachPlatform(
    "console",
    consolePlatform(options, (to, notice) => {
      output.write(
        options.json
          ? `${JSON.stringify({ notice: notice.kind, to, text: notice.text })}\n`
          : `${renderNotice(to, notice, options.color ?? false)}\n\n`,
      );
    }),
  );
  /** What each stream has printed so far. */
  const streamed = new Map<string, string>();
  const onStream = (event: StreamEvent): void => {
    const shown = streamed.get(event.streamId) ?? "";
    // Text grows sentence by sentence; a regenerated text starts on a fresh line.
    output.write(event.text.startsWith(shown) ? event.text.slice(shown.length) : `\n${event.text}`);
    streamed.set(event.streamId, event.text);
  };
  const write = async (replies: readonly Reply[]): Promise<void> => {
    for (const reply of replies) {
      if (reply.kind === "confirm") pendingConfirm = reply.action;
      for (const file of reply.attachments ?? []) {
        const path = join(options.filesDir ?? ".", file.name);
        await writeFile(path, file.data);
        output.write(options.json ? "" : `(${file.title}: saved to ${path})\n`);
      }
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
    const isTeacher = options.role === "teacher" && learner === options.learner;
    await write(
      await tutor.handle(
        {
          tenant,
          platform: "console",
          learner,
          sender: async () => ({ isTeacher }),
          ...message,
        },
        isStreaming ? { onStream } : {},
      ),
    );
  };
  await send({ command: { name: "start", args: "" } });
  prompt();
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  for await (const line of lines) {
    const as = /^\/as\s+(\S+)$/.exec(line.trim());
    if (as?.[1]) {
      // Act as another local learner (to try a teacher's assignment from the learner's side).
      learner = as[1];
      output.write(
        options.json ? `${JSON.stringify({ as: learner })}\n` : `(You are now ${learner}.)\n\n`,
      );
      await send({ command: { name: "start", args: "" } });
    } else if (pendingConfirm !== undefined) {
      const answer = line.trim().toLowerCase();
      pendingConfirm = undefined;
      if (/^(y|yes|\/confirm)$/.test(answer)) await send({ action: { id: "forget-confirm" } });
      else if (/^(n|no|\/cancel)$/.test(answer)) await send({ action: { id: "forget-cancel" } });
      else await send({ text: line });
    } else if (/^\/tutor\s+\S/.test(line.trim())) {
      // The slash command as a platform sends it: "/tutor assign …" → assign, with its arguments.
      const [, name = "", args = ""] = /^\/tutor\s+(\S+)\s*(.*)$/.exec(line.trim()) ?? [];
      await send({ command: { name, args } });
    } else {
      await send({ text: line });
    }
    prompt();
  }
  if (options.prompt && !options.json) output.write("\n");
}

/**
 * The console as a classroom: learners are local ids (any id names a learner; `#class` or
 * `@everyone` names every learner this tenant has seen), notices are printed.
 */
function consolePlatform(
  options: ConsoleOptions,
  print: (to: string, notice: Notice) => void,
): ClassroomPlatform {
  return {
    async membersOf(tenant, target) {
      if (target.kind === "user") return [target.id];
      if (!options.store) return undefined;
      const roster = await options.store.readRecords({ tenant, name: ROSTER_NAME });
      return Object.keys(roster);
    },
    async notify(_tenant, user, notice) {
      print(user, notice);
      return true;
    },
    async describe(_tenant, user) {
      return { name: user };
    },
  };
}
