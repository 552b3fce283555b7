// Configuration shared by every AWS SDK v3 client of a function.
//
// Shared: every function's asset holds it as lib/aws.mjs (see logger.mjs).
//
// Endpoints: the SDK itself reads AWS_ENDPOINT_URL (and the per-service
// AWS_ENDPOINT_URL_<SERVICE>), which is how the tests reach the emulator; no
// endpoint is set here. Region and credentials come from the Lambda
// environment as usual.
//
// Retries: the SDK's "standard" strategy retries throttling and transient
// errors with exponential backoff and full jitter; AWS_MAX_ATTEMPTS and
// AWS_RETRY_MODE, which the SDK also reads, override the defaults below.

export function clientConfig(extra = {}) {
  const config = { ...extra };
  if (!process.env.AWS_MAX_ATTEMPTS) config.maxAttempts = 4;
  if (!process.env.AWS_RETRY_MODE) config.retryMode = "standard";
  return config;
}

/**
 * S3 configuration. Against a custom endpoint (an emulator on localhost),
 * virtual-hosted addressing would need `<bucket>.localhost` to resolve, so
 * path-style addressing is used there; against AWS the default applies.
 */
export function s3ClientConfig(extra = {}) {
  const customEndpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  return clientConfig(customEndpoint ? { forcePathStyle: true, ...extra } : extra);
}

/** The names of required environment variables that are missing or empty. */
export function missingEnv(names, env = process.env) {
  return names.filter((name) => !env[name] || !String(env[name]).trim());
}

/** Reads the required variables, throwing one error that names every missing one. */
export function requireEnv(names, env = process.env) {
  const missing = missingEnv(names, env);
  if (missing.length) {
    throw new Error(`missing required environment variable(s): ${missing.join(", ")}`);
  }
  return Object.fromEntries(names.map((name) => [name, String(env[name]).trim()]));
}
