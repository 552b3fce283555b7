// Validation of POST /trades bodies: the API's own request model,
// schemas/trade-order.json (the file `body:` names in platform-def/src/lib.rs,
// which API Gateway validates bodies against), checked again here with ajv.
// The schema says everything (amounts are decimal strings with a pattern),
// so a body is refused here exactly when the front door refuses it.

import { readFileSync } from "node:fs";
import AjvDraft04 from "ajv-draft-04";

/** The request model, as API Gateway has it. */
export const ORDER_SCHEMA = JSON.parse(readFileSync(new URL("./schemas/trade-order.json", import.meta.url), "utf8"));

// ajv-draft-04 is CommonJS: its class is the module's `default` export.
const Ajv = AjvDraft04.default ?? AjvDraft04;
// Strict: a keyword ajv does not know fails here, at load, rather than being
// ignored. `required` naming a property of the root schema inside `oneOf` is
// draft 4's only way of saying "limitPrice for limit orders only".
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true });
const validateSchema = ajv.compile(ORDER_SCHEMA);

const FIELD_ORDER = Object.keys(ORDER_SCHEMA.properties);
const COMPARISONS = { ">": "greater than", ">=": "at least", "<": "less than", "<=": "at most" };

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The field an error's JSON pointer names ("" is the body itself). */
function fieldOf(instancePath) {
  if (!instancePath) return "body";
  return instancePath.slice(1).split("/")[0].replaceAll("~1", "/").replaceAll("~0", "~");
}

/**
 * The limit/market `oneOf` failed: say which half of the rule the order
 * breaks. With an order type the schema refuses, that field's own error
 * says enough.
 */
function orderTypeRuleError(input) {
  const hasPrice = Object.hasOwn(input, "limitPrice");
  if (input.orderType === "limit" && !hasPrice) return { field: "limitPrice", message: "is required for a limit order" };
  if (input.orderType === "market" && hasPrice) return { field: "limitPrice", message: "must not be set for a market order" };
  return undefined;
}

function fieldError(error, input) {
  switch (error.keyword) {
    case "required":
      return { field: error.params.missingProperty, message: "is required" };
    case "additionalProperties":
      return { field: error.params.additionalProperty, message: "is not a recognized field" };
    case "type":
      if (!error.instancePath) return { field: "body", message: "must be a JSON object" };
      return { field: fieldOf(error.instancePath), message: `must be a ${error.params.type}` };
    case "enum":
      return { field: fieldOf(error.instancePath), message: `must be one of: ${error.params.allowedValues.join(", ")}` };
    case "pattern":
      return { field: fieldOf(error.instancePath), message: `must match ${error.params.pattern}` };
    case "minimum":
    case "maximum":
      return {
        field: fieldOf(error.instancePath),
        message: `must be ${COMPARISONS[error.params.comparison] ?? error.params.comparison} ${error.params.limit}`,
      };
    case "oneOf":
      return error.instancePath ? { field: fieldOf(error.instancePath), message: error.message } : orderTypeRuleError(input);
    default:
      return { field: fieldOf(error.instancePath), message: error.message };
  }
}

function rank(field) {
  if (field === "body") return -2;
  const i = FIELD_ORDER.indexOf(field);
  return i === -1 ? -1 : i;
}

/** The schema's errors as `{ field, message }`, one per problem, unknown fields first, then in the schema's order. */
function schemaErrors(input) {
  if (validateSchema(input)) return [];
  const errors = [];
  for (const error of validateSchema.errors) {
    // A oneOf branch's own failures only explain why that branch did not
    // match; the oneOf error itself stands for them.
    if (error.schemaPath.startsWith("#/oneOf/")) continue;
    const mapped = fieldError(error, isPlainObject(input) ? input : {});
    if (mapped && !errors.some((e) => e.field === mapped.field && e.message === mapped.message)) errors.push(mapped);
  }
  if (!errors.length) errors.push({ field: "body", message: ajv.errorsText(validateSchema.errors) });
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e.field) - rank(b.e.field) || (rank(a.e.field) === -1 ? a.e.field.localeCompare(b.e.field) : a.i - b.i))
    .map(({ e }) => e);
}

/**
 * Validates a POST /trades body (parsed JSON). Returns `{ order, errors }`:
 * `errors` lists every problem as `{ field, message }`; `order` is the body
 * when there is none.
 */
export function validateOrder(input) {
  const errors = schemaErrors(input);
  if (errors.length) return { order: undefined, errors, rejectedBy: "schema" };
  return { order: { ...input }, errors: [] };
}
