// A stand-in handler: the crate docs' examples name this directory as `code:`,
// which must exist (rule `function-code`).
export const handler = async () => ({});
