// Module resolution hooks for a function run by `tp local` (registered by
// sdk-register.mjs, in the loader thread). They make ES module resolution
// look like the Lambda Node.js runtime's:
//
// - `@aws-sdk/*` comes from the function's own node_modules when it has
//   the package, else from the runtime's (this directory's node_modules),
//   as the managed runtime provides the AWS SDK v3;
// - any other bare specifier imported by the function's code must resolve
//   inside the task root: a package found in some ancestor directory of
//   the code on this machine would be missing in AWS.

import { builtinModules } from "node:module";
import { pathToFileURL } from "node:url";

const RUNTIME_PACKAGE_URL = new URL("./package.json", import.meta.url).href;
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT;
const TASK_ROOT_URL = TASK_ROOT ? pathToFileURL(`${TASK_ROOT.replace(/\/$/, "")}/`).href : undefined;
const BUILTINS = new Set(builtinModules);

function isBare(specifier) {
  return !(
    specifier.startsWith("./") ||
    specifier.startsWith("../") ||
    specifier.startsWith("/") ||
    specifier.startsWith("node:") ||
    specifier.startsWith("file:") ||
    specifier.startsWith("data:") ||
    specifier.startsWith("#") ||
    BUILTINS.has(specifier)
  );
}

function notFound(specifier, parentURL) {
  const err = new Error(`Cannot find package '${specifier}' imported from ${parentURL}`);
  err.code = "ERR_MODULE_NOT_FOUND";
  return err;
}

export async function resolve(specifier, context, nextResolve) {
  const fromTask =
    TASK_ROOT_URL !== undefined &&
    context.parentURL?.startsWith(TASK_ROOT_URL) &&
    isBare(specifier);
  if (!fromTask) return nextResolve(specifier, context);
  const sdk = specifier.startsWith("@aws-sdk/");
  let resolved;
  try {
    resolved = await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code === "ERR_MODULE_NOT_FOUND" && sdk) {
      return nextResolve(specifier, { ...context, parentURL: RUNTIME_PACKAGE_URL });
    }
    throw err;
  }
  if (resolved.url.startsWith(TASK_ROOT_URL) || resolved.url.startsWith("node:")) return resolved;
  if (sdk) return nextResolve(specifier, { ...context, parentURL: RUNTIME_PACKAGE_URL });
  throw notFound(specifier, context.parentURL);
}
