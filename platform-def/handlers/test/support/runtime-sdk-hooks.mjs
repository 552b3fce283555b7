// Module resolution hook (see register-runtime-sdk.mjs).
const TEST_PACKAGE_URL = new URL("../package.json", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code === "ERR_MODULE_NOT_FOUND" && specifier.startsWith("@aws-sdk/")) {
      return nextResolve(specifier, { ...context, parentURL: TEST_PACKAGE_URL });
    }
    throw err;
  }
}
