import type { ErrorObject } from "ajv";
import AjvDraft04 from "ajv-draft-04";
import tinCanSchema from "tin-can-json-schema/1.0.1.json" with { type: "json" };
// Rustici Software's published JSON Schema for xAPI statements (tin-can-json-schema on npm):
// one draft-04 schema whose parts are addressed by id ("#statement", "#agent", …), and the
// regular expressions its "format" keywords name (iri, uuid, iso_date, langtag, …). Its newest
// part set is "1.0.1"; 1.0.2 and 1.0.3 changed no statement structure (clarifications only).
import formats from "tin-can-json-schema/formats.json" with { type: "json" };

const SCHEMA_KEY = "tcapi:1.0.1";

/** Validates one value against a part of the published schema ("statement" by default). */
export type XapiValidator = (value: unknown, part?: string) => readonly ErrorObject[];

/** Builds a validator from the published schema and formats, as the package's README says. */
export function createXapiValidator(): XapiValidator {
  // The schema's patterns are written for JavaScript regular expressions without the "u" flag
  // (surrogate-pair ranges, `\#`), which Ajv adds unless told otherwise.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  for (const [name, pattern] of Object.entries(formats)) ajv.addFormat(name, new RegExp(pattern));
  ajv.addSchema(tinCanSchema, SCHEMA_KEY);
  return (value, part = "statement") => {
    const validate = ajv.getSchema(`${SCHEMA_KEY}#${part}`);
    if (!validate) throw new Error(`The xAPI schema has no part "${part}"`);
    return validate(value) ? [] : [...(validate.errors ?? [])];
  };
}
