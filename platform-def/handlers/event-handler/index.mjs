// Minimal handler for `event-handler`; the real implementation replaces it.
export const handler = async (event) => {
  console.log(JSON.stringify({ function: "event-handler", received: typeof event }));
  return { statusCode: 200, body: JSON.stringify({ ok: true }) };
};
