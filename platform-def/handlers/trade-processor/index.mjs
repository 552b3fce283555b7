// Minimal handler for `trade-processor`; the real implementation replaces it.
export const handler = async (event) => {
  console.log(JSON.stringify({ function: "trade-processor", received: typeof event }));
  return { statusCode: 200, body: JSON.stringify({ ok: true }) };
};
