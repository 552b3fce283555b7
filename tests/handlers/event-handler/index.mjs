// A stand-in handler: the compile-fail cases name this directory as `code:`.
export const handler = async () => ({});
