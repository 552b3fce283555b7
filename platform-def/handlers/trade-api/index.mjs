// Minimal handler for `trade-api`; the real implementation replaces it.
export const handler = async (event) => {
  console.log(JSON.stringify({ function: "trade-api", received: typeof event }));
  return { statusCode: 200, body: JSON.stringify({ ok: true }) };
};
