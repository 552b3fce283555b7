// Imported first by the tests of behaviour that tp local's moto launcher
// (cli/local/moto-launch.py) fixes: points this test file's process (each
// test file runs in its own) at the moto scripts/handler-tests started
// through the launcher, before the harness creates its clients.
if (!process.env.MOTO_LAUNCHED_ENDPOINT) {
  throw new Error("MOTO_LAUNCHED_ENDPOINT is not set: run the tests with scripts/handler-tests");
}
process.env.AWS_ENDPOINT_URL = process.env.MOTO_LAUNCHED_ENDPOINT;
