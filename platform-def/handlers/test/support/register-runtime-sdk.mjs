// Loaded with `node --import` before the tests: lets handler code import the
// AWS SDK v3 the way it does in Lambda, where the Node.js runtime provides
// every @aws-sdk/* package. Here they come from this test package's
// node_modules, and only when the handler's own directory has no such
// package: anything else a handler imports must be in its own node_modules,
// exactly as in its zip.
import { register } from "node:module";

register("./runtime-sdk-hooks.mjs", import.meta.url);
