import { ApplicationCommandType } from "discord.js";

type Json = Record<string, unknown>;

/** Discord's error entry for a body that had to be an array. */
export function arrayError(): Json {
  return { code: "BASE_TYPE_ARRAY", message: "Must be an array." };
}

/** Commands are unique per type and name; Discord keeps the id of a re-registered one. */
export function commandKey(command: Json): string {
  return `${String(command.type ?? ApplicationCommandType.ChatInput)}:${String(command.name)}`;
}

const NAME_PATTERN = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/**
 * Discord's checks on a bulk command overwrite that a mistaken registration payload would hit:
 * names, descriptions, option counts and order, duplicates. Errors are nested like Discord's.
 */
export function validateCommands(commands: unknown[]): Json {
  const errors: Json = {};
  const add = (path: (string | number)[], code: string, message: string): void => {
    let node = errors;
    for (const key of path) {
      const next = (node[String(key)] ?? {}) as Json;
      node[String(key)] = next;
      node = next;
    }
    const list = (node._errors ?? []) as Json[];
    list.push({ code, message });
    node._errors = list;
  };
  const checkName = (path: (string | number)[], name: unknown, isChatInput: boolean): void => {
    if (typeof name !== "string" || name.length < 1 || name.length > 32) {
      add([...path, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.");
    } else if (isChatInput && (!NAME_PATTERN.test(name) || name !== name.toLowerCase())) {
      add([...path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
  };
  const checkDescription = (path: (string | number)[], description: unknown): void => {
    if (typeof description !== "string" || description.length < 1 || description.length > 100) {
      add([...path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
  };
  const checkOptions = (path: (string | number)[], options: unknown): void => {
    if (options === undefined) return;
    if (!Array.isArray(options)) {
      add([...path, "options"], "BASE_TYPE_ARRAY", "Must be an array.");
      return;
    }
    if (options.length > 25) {
      add([...path, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    }
    let hasOptional = false;
    const names = new Set<string>();
    options.forEach((raw: unknown, index) => {
      const option = (raw ?? {}) as Json;
      const optionPath = [...path, "options", index];
      checkName(optionPath, option.name, true);
      checkDescription(optionPath, option.description);
      if (typeof option.name === "string") {
        if (names.has(option.name)) {
          add(optionPath, "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Duplicate name");
        }
        names.add(option.name);
      }
      const isSubcommand = option.type === 1 || option.type === 2;
      if (!isSubcommand) {
        if (option.required === true && hasOptional) {
          add(
            optionPath,
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
            "Required options must be placed before non-required options",
          );
        }
        if (option.required !== true) hasOptional = true;
      }
      if (Array.isArray(option.choices) && option.choices.length > 25) {
        add([...optionPath, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
      }
      if (option.autocomplete === true && Array.isArray(option.choices)) {
        add(optionPath, "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES", "Choose one");
      }
      checkOptions(optionPath, option.options);
    });
  };
  const seen = new Set<string>();
  commands.forEach((raw: unknown, index) => {
    const command = (raw ?? {}) as Json;
    const type = (command.type as number | undefined) ?? ApplicationCommandType.ChatInput;
    const isChatInput = type === ApplicationCommandType.ChatInput;
    checkName([index], command.name, isChatInput);
    if (isChatInput) checkDescription([index], command.description);
    checkOptions([index], command.options);
    const key = commandKey({ ...command, type });
    if (seen.has(key)) {
      add([index, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate command name");
    }
    seen.add(key);
  });
  return errors;
}
