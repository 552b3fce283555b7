// Minimal handler for `health-monitor`; the real implementation replaces it.
export const handler = async (event) => {
  console.log(JSON.stringify({ function: "health-monitor", received: typeof event }));
  return { statusCode: 200, body: JSON.stringify({ ok: true }) };
};
