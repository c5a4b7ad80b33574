/** What reaches the tutor from any platform, normalized by its adapter. */
export interface Inbound {
  readonly tenant: string;
  /** "console", "slack", "discord". */
  readonly platform: string;
  readonly learner: string;
  /** A platform event id, so a redelivered event is processed once. */
  readonly eventId?: string;
  /** Free text typed by the learner (may be a command like "/hint" or an answer). */
  readonly text?: string;
  /** A slash command, already split by the platform: name without slash, and the rest. */
  readonly command?: { readonly name: string; readonly args: string };
  /**
   * A button press: on a question (answer, hint, explain, skip, next), the Start button of an
   * assignment or a reminder (`start`, value: the assignment id), or the confirmation of
   * `/tutor forget-me` (`forget-confirm`, `forget-cancel`).
   */
  readonly action?: {
    readonly id:
      | "answer"
      | "hint"
      | "explain"
      | "skip"
      | "next"
      | "start"
      | "forget-confirm"
      | "forget-cancel";
    readonly itemId?: string;
    readonly value?: string;
  };
  /**
   * Who sent it, as the platform says when asked (a teacher? their time zone?): asked only for
   * teacher commands, on the server, every time. Absent: a learner.
   */
  readonly sender?: () => Promise<Sender>;
}

/** What the platform says about whoever sent a message. */
export interface Sender {
  /** Allowed to assign practice and read reports in this tenant. */
  readonly isTeacher: boolean;
  /** IANA time zone, when the platform knows it (Slack does; Discord does not). */
  readonly timeZone?: string;
}

/** A file sent with a reply: a report's heat map, a learner's data export. */
export interface Attachment {
  readonly name: string;
  readonly mimeType: "image/png" | "application/json";
  readonly data: Uint8Array;
  /** Alt text or a title for the file. */
  readonly title: string;
}

export type ReplyKind =
  | "question"
  | "feedback"
  | "hint"
  | "explanation"
  | "progress"
  | "info"
  | "error"
  | "confirm";

/** A choice as shown: what to type (a, b, …) and its text. */
export interface ChoiceView {
  readonly label: string;
  readonly text: string;
}

export interface SkillView {
  readonly id: string;
  readonly name: string;
  /** Estimated probability the skill is known, in [0, 1]. */
  readonly mastery: number;
  readonly isMastered: boolean;
  readonly isStarted: boolean;
  readonly isStuck: boolean;
}

interface BaseReply {
  readonly kind: ReplyKind;
  /** Markdown (bold, code, code blocks, lists): every adapter can show it as is. */
  readonly text: string;
  /** Set when this text was streamed (HandleOptions.onStream): it replaces what was shown. */
  readonly streamId?: string;
  /** Only for the person who asked (teacher replies, data exports): ephemeral where possible. */
  readonly isPrivate?: boolean;
  /** Files to upload with the text. */
  readonly attachments?: readonly Attachment[];
}

export interface QuestionReply extends BaseReply {
  readonly kind: "question";
  readonly courseId: string;
  readonly skillId: string;
  readonly skillName: string;
  readonly itemId: string;
  readonly itemType: "choice" | "numeric" | "expression" | "text" | "free";
  readonly choices?: readonly ChoiceView[];
  /** Why this skill now: assignment, assignment-prerequisite, review, frontier, focus. */
  readonly reason: string;
}

export interface FeedbackReply extends BaseReply {
  readonly kind: "feedback";
  readonly itemId: string;
  readonly correct: boolean;
  /** The question is finished (right, or its last attempt): its buttons should go. */
  readonly isItemDone: boolean;
  readonly misconceptionId?: string;
  /** Skills whose mastery this answer gained. */
  readonly mastered?: readonly string[];
}

export interface HintReply extends BaseReply {
  readonly kind: "hint";
  readonly itemId: string;
  readonly rung: number;
  readonly of: number;
}

export interface ExplanationReply extends BaseReply {
  readonly kind: "explanation";
  readonly skillId: string;
}

export interface ProgressReply extends BaseReply {
  readonly kind: "progress";
  readonly courseId: string;
  /** Skill id to estimated mastery in [0, 1]. */
  readonly mastery: Readonly<Record<string, number>>;
  readonly skills: readonly SkillView[];
  /** Share of first attempts that were right (null before any). */
  readonly accuracy: number | null;
  readonly itemsDone: number;
  readonly streak: number;
  readonly bestStreak: number;
}

export interface InfoReply extends BaseReply {
  readonly kind: "info" | "error";
  /**
   * "stale-button": a button of a question that is no longer open (adapters leave it be);
   * "forgotten": the learner's data was deleted (adapters delete what they keep about them).
   */
  readonly code?: "stale-button" | "forgotten";
}

/** A question to the learner with two buttons: confirm (`action`) or cancel. */
export interface ConfirmReply extends BaseReply {
  readonly kind: "confirm";
  readonly action: "forget-confirm";
  readonly confirmLabel: string;
  readonly cancelLabel: string;
}

export type Reply =
  | ConfirmReply
  | QuestionReply
  | FeedbackReply
  | HintReply
  | ExplanationReply
  | ProgressReply
  | InfoReply;

/** How a turn ended the question a button belonged to. */
export type QuestionOutcome = "correct" | "incorrect" | "skipped";

/**
 * Whether a button press on question `itemId` finished that question, and how: an answer's final
 * feedback, or a skip. Undefined when the question is still open, or the button was stale
 * (another learner's question, or one already finished), so adapters leave its message alone.
 */
export function questionOutcome(
  replies: readonly Reply[],
  itemId: string | undefined,
  pressed: string,
): QuestionOutcome | undefined {
  if (itemId === undefined) return undefined;
  if (replies.some((r) => r.kind === "info" && r.code === "stale-button")) return undefined;
  const feedback = replies.find(
    (r): r is FeedbackReply => r.kind === "feedback" && r.itemId === itemId,
  );
  if (feedback?.isItemDone) return feedback.correct ? "correct" : "incorrect";
  return pressed === "skip" ? "skipped" : undefined;
}

/** A message sent to someone outside a conversation: a new assignment, a reminder, a digest. */
export interface Notice {
  readonly kind: "assignment" | "reminder" | "review" | "digest";
  /** Markdown, as a Reply's text. */
  readonly text: string;
  /** A Start button opening practice (on the assignment, when it names one). */
  readonly start?: { readonly assignmentId?: string };
}
